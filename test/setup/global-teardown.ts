export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__SOTALLY_SERVICES__;
  await services?.temporal.stop();
  await services?.postgres?.stop();
}
