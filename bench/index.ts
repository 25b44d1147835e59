// `npm run bench`: every benchmark in turn; each prints its table and writes its section of docs/BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

for (const bench of ['reservations.ts', 'executions.ts', 'run-anatomy.ts', 'retention.ts', 'privacy.ts', 'erasure.ts', 'export.ts', 'incidents.ts', 'analytics.ts', 'redaction.ts', 'reads.ts', 'temporal-server.ts']) {
  // --expose-gc: benches that measure memory collect garbage before each step.
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, bench)], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
