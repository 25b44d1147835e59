// Search attributes are defined once (src/temporal/search-attributes.ts); docker-compose.yml,
// which registers them on the cluster with the temporal CLI, must list the same names and types.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { searchAttributeCliSpecs } from '../../src/temporal/search-attributes';

it("docker-compose registers exactly the search attributes the code defines", () => {
  const compose = readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
  const line = /for pair in ([^;]+); do/.exec(compose);
  expect(line).not.toBeNull();
  expect(line![1]!.trim().split(/\s+/).sort()).toEqual(searchAttributeCliSpecs().sort());
});
