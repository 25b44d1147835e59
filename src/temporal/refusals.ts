// Services throw DomainError for business refusals (no credits, already
// settled, ...). Inside an activity, a refusal must not be retried: it becomes
// a non-retryable ApplicationFailure whose type is the refusal's code, which
// workflows read. Anything else (database down, ...) is left for Temporal to retry.
import { ApplicationFailure } from '@temporalio/activity';
import { DomainError } from '../errors';

export async function refusalsAsFailures<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof DomainError) throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
    throw err;
  }
}
