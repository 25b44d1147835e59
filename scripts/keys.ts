// Operator command: data-at-rest key rotation.
//   npm run keys -- status   how many values of each encrypted column each key id encrypts
//   npm run keys -- rotate   re-encrypt every value not under the current (first) key
// Rotation: prepend a new key to DATA_ENCRYPTION_KEYS ("v2:<new>,v1:<old>"), restart the
// API and worker (new values use v2), run `rotate`, check `status` shows no v1, then drop v1.
// Temporal histories are encrypted by the codec with the same keys: keep an old key until
// the histories written under it have passed the namespace's retention.
import { createPrisma } from '../src/db';
import { Keyring } from '../src/crypto/keyring';
import { keyUsage, rotateKeys } from '../src/crypto/rotation';

async function main(argv: string[]) {
  const [action] = argv;
  if (action !== 'status' && action !== 'rotate') {
    console.error('usage: npm run keys -- status|rotate');
    process.exitCode = 2;
    return;
  }
  const { DATABASE_URL, DATA_ENCRYPTION_KEYS } = process.env;
  if (!DATABASE_URL || !DATA_ENCRYPTION_KEYS) throw new Error('DATABASE_URL and DATA_ENCRYPTION_KEYS must be set');
  const keyring = Keyring.parse(DATA_ENCRYPTION_KEYS);
  const prisma = createPrisma(DATABASE_URL, 2);
  try {
    if (action === 'rotate') {
      console.log(`re-encrypting under key "${keyring.currentKeyId}"`);
      for (const [column, r] of Object.entries(await rotateKeys(prisma, keyring))) {
        console.log(`${column}: ${r.reencrypted} re-encrypted${r.unreadable ? `, ${r.unreadable} UNREADABLE with the configured keys (left as they are)` : ''}`);
      }
    }
    for (const [column, byKey] of Object.entries(await keyUsage(prisma))) {
      const counts = Object.entries(byKey).map(([id, n]) => `${id}: ${n}`).join(', ');
      console.log(`${column}: ${counts || 'no values'}`);
    }
  } finally {
    await prisma.$disconnect();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
