// Operator command: keys for data at rest.
//   npm run keys -- status     how many values of each encrypted column each key encrypts
//   npm run keys -- rotate     re-wrap every user's data key under the current (first) keyring key
//   npm run keys -- backfill   move values from before per-user keys under their owner's data key,
//                              and seal profiles still in clear (run once after upgrading)
// Rotation: prepend a new key to DATA_ENCRYPTION_KEYS ("v2:<new>,v1:<old>"), restart the
// API and worker (new data keys are wrapped by v2), run `rotate`, check `status` shows no v1,
// then drop v1. The data itself is under per-user data keys and is not re-encrypted.
// Both commands are batched and resumable: stopped half-way, run them again.
// Temporal histories are encrypted by the codec with the keyring keys: keep an old key until
// the histories written under it have passed the namespace's retention.
import { Keyring } from '../src/crypto/keyring';
import { DataKeys } from '../src/crypto/data-keys';
import { backfill, keyUsage, rotateKeys } from '../src/crypto/rotation';
import { emailIndexKeyFromEnv, runCommand, UsageError } from './lib/cli';

runCommand(module, async (prisma, [action]) => {
  if (action !== 'status' && action !== 'rotate' && action !== 'backfill') throw new UsageError('usage: npm run keys -- status|rotate|backfill');
  if (!process.env.DATA_ENCRYPTION_KEYS) throw new Error('DATA_ENCRYPTION_KEYS must be set');
  const keyring = Keyring.parse(process.env.DATA_ENCRYPTION_KEYS);
  const lines: string[] = [];
  const describe = (column: string, r: { reencrypted: number; unreadable: number }, verb: string) =>
    `${column}: ${r.reencrypted} ${verb}${r.unreadable ? `, ${r.unreadable} UNREADABLE with the configured keys (left as they are)` : ''}`;
  if (action === 'rotate') {
    lines.push(`re-wrapping data keys under key "${keyring.currentKeyId}"`);
    for (const [column, r] of Object.entries(await rotateKeys(prisma, keyring))) lines.push(describe(column, r, 're-wrapped'));
  }
  if (action === 'backfill') {
    const report = await backfill(prisma, new DataKeys(prisma, keyring), emailIndexKeyFromEnv());
    lines.push(`profiles: ${report.profiles} sealed`);
    for (const [column, r] of Object.entries(report.columns)) lines.push(describe(column, r, 'moved under their owner\'s data key'));
  }
  for (const [column, byKey] of Object.entries(await keyUsage(prisma))) {
    const counts = Object.entries(byKey).map(([id, n]) => `${id}: ${n}`).join(', ');
    lines.push(`${column}: ${counts || 'no values'}`);
  }
  return lines.join('\n');
});
