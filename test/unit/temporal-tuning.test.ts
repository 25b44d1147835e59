// The docker-compose Temporal cluster runs with the same dynamic configuration as the dev server
// this repository starts (tests, benches, `npm start`): one list of values, measured in
// docs/BENCHMARKS.md, written twice (TypeScript for the dev server's flags, YAML for the cluster).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { TEMPORAL_DEV_SERVER_TUNING } from '../../scripts/lib/dev-services';

const ROOT = path.join(__dirname, '..', '..');

it('the docker-compose cluster gets the dev server\'s dynamic configuration', () => {
  const file = parse(readFileSync(path.join(ROOT, 'temporal', 'dynamicconfig.yaml'), 'utf8')) as Record<string, { value: unknown }[]>;
  const values = Object.fromEntries(Object.entries(file).map(([key, entries]) => [key, entries.map((e) => e.value)]));
  expect(values).toEqual(Object.fromEntries(Object.entries(TEMPORAL_DEV_SERVER_TUNING.dynamicConfig).map(([key, value]) => [key, [value]])));

  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: { temporal: { environment: Record<string, string>; volumes: string[] } } };
  const { environment, volumes } = compose.services.temporal;
  const mounted = volumes.map((v) => v.split(':')).find(([from]) => from === './temporal/dynamicconfig.yaml');
  expect(mounted).toBeDefined();
  expect(mounted![1]).toBe(`/etc/temporal/${environment.DYNAMIC_CONFIG_FILE_PATH}`);
});
