// A user's profile at rest: name, email and avatar URL sealed under the user's
// own data key (AAD bound to the row and column), and the email's blind index
// for finding the account. Rows from before profile encryption keep their
// clear columns until the backfill (src/crypto/backfill.ts) seals them; reads
// and look-ups understand both until then.
import type { Prisma, PrismaClient, User } from '@prisma/client';
import type { DataKeys } from '../crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import { emailIndex, findUserByEmail, normalizeEmail } from './email-index';

export interface ProfileFields {
  name: string;
  email: string;
  avatarUrl: string | null;
}

/** A user row with its profile in clear (in memory only). */
export type Account = Omit<User, 'name' | 'email' | 'avatarUrl'> & ProfileFields;

const { userName, userEmail, userAvatar } = ENCRYPTED_COLUMNS;

export function createProfiles(prisma: PrismaClient, dataKeys: DataKeys, indexKey: Buffer) {
  return {
    emailIndex: (email: string) => emailIndex(indexKey, email),

    /** The columns to write, sealed under a key the caller holds (a user being created, the backfill); the clear columns are emptied. */
    sealWith(key: Buffer, userId: string, profile: ProfileFields) {
      const seal = (column: typeof userName, value: string) => dataKeys.sealWith(key, column, userId, value);
      return {
        nameCiphertext: seal(userName, profile.name),
        emailCiphertext: seal(userEmail, normalizeEmail(profile.email)),
        avatarCiphertext: profile.avatarUrl === null ? null : seal(userAvatar, profile.avatarUrl),
        emailIndex: emailIndex(indexKey, profile.email),
        name: null,
        email: null,
        avatarUrl: null,
      } satisfies Prisma.UserUncheckedUpdateInput;
    },

    /** Creates the users row, its profile sealed under a new data key, and the key, in one statement (one transaction). */
    async createUser(id: string, profile: ProfileFields, rest: { passwordHash: string; marketingConsent?: boolean; consentEvents?: Prisma.UserCreateInput['consentEvents'] }): Promise<User> {
      const { key, wrappedKey } = dataKeys.newKey(id);
      const user = await prisma.user.create({ data: { id, ...this.sealWith(key, id, profile), ...rest, dataKey: { create: { wrappedKey } } } });
      dataKeys.remember(id, key);
      return user;
    },

    /** Sealed columns under the user's data key. */
    async seal(userId: string, profile: ProfileFields) {
      return this.sealWith(await dataKeys.keyFor(userId), userId, profile);
    },

    /** The row with its profile decrypted (or read from the clear columns of a row the backfill has not reached). */
    async open(user: User): Promise<Account> {
      const read = async (blob: Uint8Array | null, column: typeof userName, legacy: string | null) =>
        blob ? dataKeys.open(column, user.id, user.id, blob) : legacy;
      return {
        ...user,
        name: (await read(user.nameCiphertext, userName, user.name)) ?? '',
        email: (await read(user.emailCiphertext, userEmail, user.email)) ?? '',
        avatarUrl: await read(user.avatarCiphertext, userAvatar, user.avatarUrl),
      };
    },

    /** The account with this email, by blind index (or by the clear column of a row not yet backfilled). */
    findByEmail(email: string): Promise<User | null> {
      return findUserByEmail(prisma, indexKey, email);
    },

    /** Whether a users row with this id exists. */
    exists: async (userId: string): Promise<boolean> => (await prisma.user.count({ where: { id: userId } })) > 0,
  };
}

export type Profiles = ReturnType<typeof createProfiles>;
