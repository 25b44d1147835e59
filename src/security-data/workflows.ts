// The security-data cleanup: run by a Temporal Schedule (hourly by default), it
// deletes sessions, revoked API tokens, security events and rate-limit counters
// past their retention (src/security-data/service.ts says which, and when).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SecurityDataDeleted } from './contract';

const { cleanUpSecurityData } = proxyActivities<Activities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m', // one heartbeat per batch of at most 1,000 rows
  retry: { initialInterval: '1s', maximumInterval: '10m' }, // retried until it succeeds: the data must go
});

export async function cleanUpSecurityDataWorkflow(): Promise<SecurityDataDeleted> {
  return cleanUpSecurityData();
}
