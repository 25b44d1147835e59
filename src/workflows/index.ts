// The worker's workflow entry point: every workflow, from its feature folder.
// Workflow code is deterministic, with no I/O and no Node built-ins: lint
// enforces it on every file this bundle pulls in (test/unit/workflow-bundle.test.ts
// checks that the rule reaches them all).
export * from '../credits/workflows';
export * from '../executions/workflows';
export * from '../retention/workflows';
export * from '../security-data/workflows';
export * from '../mail/workflows';
export * from '../erasure/workflows';
export * from '../data-export/workflows';
export * from '../incidents/workflows';
export * from '../analytics/workflows';
