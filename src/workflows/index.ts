// Workflow code only: deterministic, no I/O, no Node built-ins (lint enforces
// it). Every workflow is exported from here; the worker bundles this file.
export * from './credits';
export * from './executions';
export * from './retention';
