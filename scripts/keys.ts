// Operator command: data-at-rest key rotation.
//   npm run keys -- status   how many values of each encrypted column each key id encrypts
//   npm run keys -- rotate   re-encrypt every value not under the current (first) key
// Rotation: prepend a new key to DATA_ENCRYPTION_KEYS ("v2:<new>,v1:<old>"), restart the
// API and worker (new values use v2), run `rotate`, check `status` shows no v1, then drop v1.
// Temporal histories are encrypted by the codec with the same keys: keep an old key until
// the histories written under it have passed the namespace's retention.
import { Keyring } from '../src/crypto/keyring';
import { keyUsage, rotateKeys } from '../src/crypto/rotation';
import { runCommand, UsageError } from './lib/cli';

runCommand(module, async (prisma, [action]) => {
  if (action !== 'status' && action !== 'rotate') throw new UsageError('usage: npm run keys -- status|rotate');
  if (!process.env.DATA_ENCRYPTION_KEYS) throw new Error('DATA_ENCRYPTION_KEYS must be set');
  const keyring = Keyring.parse(process.env.DATA_ENCRYPTION_KEYS);
  const lines: string[] = [];
  if (action === 'rotate') {
    lines.push(`re-encrypting under key "${keyring.currentKeyId}"`);
    for (const [column, r] of Object.entries(await rotateKeys(prisma, keyring))) {
      lines.push(`${column}: ${r.reencrypted} re-encrypted${r.unreadable ? `, ${r.unreadable} UNREADABLE with the configured keys (left as they are)` : ''}`);
    }
  }
  for (const [column, byKey] of Object.entries(await keyUsage(prisma))) {
    const counts = Object.entries(byKey).map(([id, n]) => `${id}: ${n}`).join(', ');
    lines.push(`${column}: ${counts || 'no values'}`);
  }
  return lines.join('\n');
});
