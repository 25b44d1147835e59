// Replays recorded histories (test/fixtures/histories, made by
// `npm run record-histories`) through the current workflow code: a change
// that would break workflows already running fails here, not in production.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} },
  });
}, 60_000);

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(11);
});

it('replays every recorded history without a determinism error', async () => {
  const histories = files.map((file) => ({ workflowId: file, history: JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as unknown }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});
