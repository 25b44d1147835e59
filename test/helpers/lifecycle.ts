// A test file's shared servers, started once in its beforeAll and closed in its
// afterAll (with the file's Prisma client). Call these at the top of the file:
//
//   const api = useTestApi({ SOME_SETTING: 'x' });
//   const stack = useExecutionStack({ MODEL_TIMEOUT: '2s' });
//   const { api, model } = stack;
//
// What they return can be held at once but only used from a hook or a test
// (after the beforeAll they registered has run): each property access goes to
// the started object, and a clear error says so when it is used too early.
// Jest runs hooks in the order they are declared, beforeAll and afterAll alike:
// a file's own beforeAll declared after these sees the servers started, and its
// own afterAll runs before they close only if declared before these.
import { startTestApi, type TestApi } from './api';
import type { PrismaClient } from '@prisma/client';
import { capturingLogger, closeTestPrisma, isolatedDatabase, testConfig } from './env';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import { createMailActivities } from '../../src/mail/activities';
import { createDataKeys } from '../../src/crypto/data-keys';
import type { SecurityAlertsSent } from '../../src/mail/contract';
import { startExecutionStack, type ExecutionStack } from './stack';
import type { TestWorker } from './worker';

/** An object standing for the one `resolve()` returns when used; methods are bound to it. */
function late<T extends object>(resolve: () => T): T {
  return new Proxy({} as T, {
    get(_, key) {
      const target = resolve();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set: (_, key, value) => Reflect.set(resolve(), key, value),
    has: (_, key) => Reflect.has(resolve(), key),
    ownKeys: () => Reflect.ownKeys(resolve()),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(resolve(), key),
  });
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is used before the beforeAll that starts it has run (or it failed to start)`);
  return value;
}

/** The file's API (see startTestApi), closed by the afterAll registered here. */
export type FileTestApi = Omit<TestApi, 'close'>;

/** Starts the API in a beforeAll; closes it, then the file's Prisma client, in an afterAll. */
export function useTestApi(overrides: Record<string, string> = {}): FileTestApi {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await startTestApi(overrides);
  });
  afterAll(async () => {
    await api?.close();
    await closeTestPrisma();
  });
  return late(() => started(api, 'the test API'));
}

/** The file's execution stack (see startExecutionStack), closed by the afterAll registered here. */
export interface FileExecutionStack extends Omit<ExecutionStack, 'close' | 'worker'> {
  /** The in-process worker; using it throws when the stack was started with `worker: false`. */
  worker: TestWorker;
}

/**
 * Starts a model, an API and (unless `worker: false`) a worker in a beforeAll (60 s allowed);
 * closes them, then the file's Prisma client, in an afterAll. `api`, `model` and `worker`
 * may be destructured at once: `const { api, model } = useExecutionStack()`.
 */
export function useExecutionStack(overrides: Record<string, string> = {}, options: { worker?: boolean } = {}): FileExecutionStack {
  let stack: ExecutionStack | undefined;
  beforeAll(async () => {
    stack = await startExecutionStack(overrides, options);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await closeTestPrisma();
  });
  const current = () => started(stack, 'the execution stack');
  return {
    model: late(() => current().model),
    api: late(() => current().api),
    worker: late(() => started(current().worker, 'the in-process worker (this stack was started with `worker: false`)')),
    extraApi: (more) => current().extraApi(more),
  };
}

/** A database of the file's own, the API on it and a local SMTP server, with the security-alert sender. */
export interface IsolatedMailStack {
  api: FileTestApi;
  smtp: FakeSmtp;
  prisma: PrismaClient;
  /** The isolated database's URL (for a second API on it). */
  databaseUrl(): string;
  /** Runs the security-alert activity once, as the schedule does, against the local SMTP server. */
  sendAlerts(): Promise<SecurityAlertsSent>;
}

/**
 * For tests that count rows or mail across whole tables: a database of the file's own
 * (`isolatedDatabase(name)`), the API on it and a local SMTP server, started in a beforeAll
 * and closed in an afterAll. Its members may be destructured at once.
 */
export function useIsolatedMailStack(name: string, overrides: Record<string, string> = {}): IsolatedMailStack {
  let db: Awaited<ReturnType<typeof isolatedDatabase>> | undefined;
  let api: TestApi | undefined;
  let smtp: FakeSmtp | undefined;
  beforeAll(async () => {
    db = await isolatedDatabase(name);
    api = await startTestApi({ DATABASE_URL: db.url, ...overrides });
    smtp = await startFakeSmtp();
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await smtp?.close();
    await db?.close();
    await closeTestPrisma();
  });
  const database = () => started(db, 'the isolated database');
  return {
    api: late(() => started(api, 'the test API')),
    smtp: late(() => started(smtp, 'the SMTP fake')),
    prisma: late(() => database().prisma),
    databaseUrl: () => database().url,
    sendAlerts() {
      const { prisma, url } = database();
      const config = testConfig({ DATABASE_URL: url, SMTP_URL: started(smtp, 'the SMTP fake').url });
      const keyring = started(api, 'the test API').deps.keyring;
      return createMailActivities({ prisma, config, logger: capturingLogger().logger, dataKeys: createDataKeys(prisma, keyring, config) }).sendSecurityAlerts();
    },
  };
}
