// The register of personal data against the live, migrated schema: every table
// is registered or declared not personal; every column of a registered table
// (which every table referencing a user must be) is listed; every encrypted
// column is registered and tied to its ENCRYPTED_COLUMNS entry; and nothing the
// register names is missing from the schema. A control adds a column, tables and
// an encrypted column to the schema as read, and checks that each is reported.
import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '@prisma/client';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { createUser } from '../helpers/accounts';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';
import { parseDuration } from '../../src/duration';
import { loadConfig } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import {
  NOT_PERSONAL,
  PERSONAL_DATA,
  columnPolicy,
  erasureOfRows,
  ownerCondition,
  personalTables,
  type Owner,
  type PersonalTable,
  type PersonalTableName,
} from '../../src/privacy/register';

afterAll(closeTestPrisma);

type Db = Pick<PrismaClient, '$queryRaw'>;

/** Column names that say "this is a person's id", FK or not. */
const OWNER_LIKE = /(^|_)(user|account|creator|owner|author|customer|buyer|member|subject|recipient|requester)_id$/;

interface Schema {
  /** table → its columns → data type */
  tables: Map<string, Map<string, string>>;
  /** table → columns that are foreign keys to users */
  foreignKeysToUsers: Map<string, string[]>;
  /** every foreign key: table → referenced tables */
  references: Map<string, Set<string>>;
}

async function readSchema(db: Db): Promise<Schema> {
  const columns = await db.$queryRaw<{ table_name: string; column_name: string; data_type: string }[]>`
    SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, NULL) AS data_type
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
     ORDER BY c.relname, a.attnum`;
  const foreignKeys = await db.$queryRaw<{ table_name: string; column_name: string; referenced: string }[]>`
    SELECT t.relname AS table_name, a.attname AS column_name, r.relname AS referenced
      FROM pg_constraint k
      JOIN pg_class t ON t.oid = k.conrelid
      JOIN pg_class r ON r.oid = k.confrelid
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
     WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace`;
  const tables = new Map<string, Map<string, string>>();
  for (const c of columns) {
    if (!tables.has(c.table_name)) tables.set(c.table_name, new Map());
    tables.get(c.table_name)?.set(c.column_name, c.data_type);
  }
  const foreignKeysToUsers = new Map<string, string[]>();
  const references = new Map<string, Set<string>>();
  for (const fk of foreignKeys) {
    if (!references.has(fk.table_name)) references.set(fk.table_name, new Set());
    references.get(fk.table_name)?.add(fk.referenced);
    if (fk.referenced === 'users') foreignKeysToUsers.set(fk.table_name, [...(foreignKeysToUsers.get(fk.table_name) ?? []), fk.column_name]);
  }
  return { tables, foreignKeysToUsers, references };
}

/** Tables that reference a user: by a foreign key to users (directly or through other tables), or by an owner-like column. */
function tablesReferencingUsers(schema: Schema): Map<string, string> {
  const why = new Map<string, string>();
  for (const [table, columns] of schema.foreignKeysToUsers) why.set(table, `foreign key ${columns.join(', ')} → users`);
  for (const [table, columns] of schema.tables) {
    const named = [...columns.keys()].filter((c) => OWNER_LIKE.test(c));
    if (!why.has(table) && named.length) why.set(table, `column ${named.join(', ')}`);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [table, referenced] of schema.references) {
      const through = [...referenced].find((r) => why.has(r) && r !== table);
      if (!why.has(table) && through) {
        why.set(table, `foreign key → ${through}, which references a user`);
        grew = true;
      }
    }
  }
  why.delete('users');
  return why;
}

interface Findings {
  /** (c) tables neither registered nor declared not personal (or both). */
  unaccountedTables: string[];
  /** (a) columns of registered tables that the register does not list. */
  unlistedColumns: string[];
  /** (a) tables referencing a user that are declared not personal, or whose owner is not one of their user columns. */
  userReferences: string[];
  /** (b) bytea / *_ciphertext columns and ENCRYPTED_COLUMNS entries the register does not tie together. */
  encryption: string[];
  /** (d) tables, columns and owners the register names that the schema does not have. */
  missingFromSchema: string[];
}

function compare(schema: Schema): Findings {
  const findings: Findings = { unaccountedTables: [], unlistedColumns: [], userReferences: [], encryption: [], missingFromSchema: [] };
  const registered = new Map<string, PersonalTable>(personalTables());
  const notPersonal = new Set(Object.keys(NOT_PERSONAL));
  const has = (table: string, column: string) => schema.tables.get(table)?.has(column) ?? false;

  for (const [table, columns] of schema.tables) {
    if (!registered.has(table) && !notPersonal.has(table)) findings.unaccountedTables.push(`${table}: neither in PERSONAL_DATA nor in NOT_PERSONAL`);
    if (registered.has(table) && notPersonal.has(table)) findings.unaccountedTables.push(`${table}: both in PERSONAL_DATA and in NOT_PERSONAL`);
    const entry = registered.get(table);
    for (const column of columns.keys()) {
      if (entry && !(column in entry.columns)) findings.unlistedColumns.push(`${table}.${column}`);
      const type = columns.get(column);
      if ((type === 'bytea' || column.endsWith('_ciphertext')) && !entry) {
        findings.encryption.push(`${table}.${column}: a ${type} column in a table not registered as personal`);
      }
      if (column.endsWith('_ciphertext') && entry && column in entry.columns && !entry.columns[column]?.encrypted) {
        findings.encryption.push(`${table}.${column}: names no ENCRYPTED_COLUMNS entry`);
      }
    }
  }

  for (const [table, why] of tablesReferencingUsers(schema)) {
    if (notPersonal.has(table)) findings.userReferences.push(`${table} references a user (${why}) but is declared not personal`);
    const entry = registered.get(table);
    if (!entry) continue;
    const owner: Owner = entry.owner;
    const userColumns = [...(schema.foreignKeysToUsers.get(table) ?? []), ...[...(schema.tables.get(table)?.keys() ?? [])].filter((c) => OWNER_LIKE.test(c))];
    if ('none' in owner) findings.userReferences.push(`${table} references a user (${why}) but its owner is "none"`);
    else if (!('via' in owner) && userColumns.length && !userColumns.includes(owner.column)) {
      findings.userReferences.push(`${table}: owner ${owner.column} is not one of its user columns (${userColumns.join(', ')})`);
    }
  }

  for (const [table, entry] of registered) {
    if (!schema.tables.has(table)) {
      findings.missingFromSchema.push(`table ${table}`);
      continue;
    }
    for (const column of Object.keys(entry.columns)) if (!has(table, column)) findings.missingFromSchema.push(`${table}.${column}`);
    const owner: Owner = entry.owner;
    if (!('none' in owner) && !has(table, owner.column)) findings.missingFromSchema.push(`${table}: owner column ${owner.column}`);
    if ('via' in owner && !has(owner.via.table, owner.via.column)) findings.missingFromSchema.push(`${table}: owner via ${owner.via.table}.${owner.via.column}`);
    for (const column of Object.keys(entry.columns)) {
      const { retention } = columnPolicy(table as PersonalTableName, column);
      if (retention.kind === 'timed' && !has(table, retention.from)) findings.missingFromSchema.push(`${table}.${column}: retention from ${retention.from}`);
    }
  }
  for (const table of notPersonal) if (!schema.tables.has(table)) findings.missingFromSchema.push(`table ${table} (NOT_PERSONAL)`);

  const referenced = personalTables().flatMap(([table, entry]) =>
    Object.entries(entry.columns).flatMap(([column, c]) => (c.encrypted ? [{ table, column, encrypted: c.encrypted, owner: entry.owner }] : [])),
  );
  for (const r of referenced) {
    if (r.encrypted.table !== r.table || r.encrypted.column !== r.column) {
      findings.encryption.push(`${r.table}.${r.column} names the entry of ${r.encrypted.table}.${r.encrypted.column}`);
    }
    if (!('column' in r.owner) || r.encrypted.ownerColumn !== r.owner.column) {
      findings.encryption.push(`${r.table}.${r.column}: ENCRYPTED_COLUMNS owner ${r.encrypted.ownerColumn} is not the register's owner`);
    }
  }
  for (const [name, column] of Object.entries(ENCRYPTED_COLUMNS)) {
    if (!has(column.table, column.column) || !has(column.table, column.idColumn)) findings.missingFromSchema.push(`ENCRYPTED_COLUMNS.${name} (${column.table}.${column.column})`);
    const uses = referenced.filter((r) => r.encrypted === column).length;
    if (uses !== 1) findings.encryption.push(`ENCRYPTED_COLUMNS.${name} is referenced ${uses} times by the register (once expected)`);
  }
  return findings;
}

const nothing: Findings = { unaccountedTables: [], unlistedColumns: [], userReferences: [], encryption: [], missingFromSchema: [] };

it('the register and the live schema agree: every table accounted for, every column of a personal table listed, every encrypted column tied to its entry', async () => {
  const schema = await readSchema(testPrisma());
  expect(schema.tables.size).toBeGreaterThan(10);
  expect(schema.tables.get('users')?.has('email')).toBe(true);
  expect(compare(schema)).toEqual(nothing);
});

it('control: a column, tables referencing users and an encrypted column added to the schema are each reported', async () => {
  const schema = await readSchema(testPrisma());
  schema.tables.get('users')?.set('phone', 'text');
  schema.tables.set('register_probe', new Map([['id', 'uuid'], ['member_id', 'uuid'], ['note', 'text']]));
  schema.tables.set('register_probe_child', new Map([['id', 'uuid'], ['session_id', 'uuid']]));
  schema.references.set('register_probe_child', new Set(['sessions']));
  schema.tables.get('retention_sweeps')?.set('detail_ciphertext', 'bytea');
  schema.references.set('stripe_events', new Set(['executions']));
  schema.tables.get('executions')?.delete('request_hash');
  expect(compare(schema)).toEqual({
    unaccountedTables: ['register_probe: neither in PERSONAL_DATA nor in NOT_PERSONAL', 'register_probe_child: neither in PERSONAL_DATA nor in NOT_PERSONAL'],
    unlistedColumns: ['users.phone'],
    userReferences: ['stripe_events references a user (foreign key → executions, which references a user) but is declared not personal'],
    encryption: ['retention_sweeps.detail_ciphertext: a bytea column in a table not registered as personal'],
    missingFromSchema: ['executions.request_hash'],
  });
});

it("each table's owner reference selects exactly the user's rows in SQL, following `via` (the walk export and erasure will take)", async () => {
  const prisma = testPrisma();
  const userId = await createUser(prisma, 'Register Owner');
  const paymentIntentId = `pi_test_${randomUUID()}`;
  await prisma.session.create({ data: { userId, tokenHash: randomUUID(), expiresAt: new Date(Date.now() + 60_000) } });
  await prisma.creditPurchase.create({
    data: { checkoutSessionId: `cs_test_${randomUUID()}`, accountId: userId, packageId: 'test', credits: 1, amountCents: 5, currency: 'usd', checkoutUrl: 'https://checkout.example/test', paymentIntentId },
  });
  await prisma.creditClawback.create({ data: { stripeObjectId: `re_test_${randomUUID()}`, kind: 'refund', paymentIntentId, amountCents: 5 } });
  const expected: Record<string, number> = { users: 1, user_keys: 1, sessions: 1, credit_purchases: 1, credit_clawbacks: 1 };

  const counted: Record<string, number> = {};
  const strangers: Record<string, number> = {};
  for (const [table] of personalTables()) {
    const mine = ownerCondition(table, userId);
    const theirs = ownerCondition(table, randomUUID());
    if (!mine || !theirs) continue;
    const count = async (condition: Prisma.Sql) =>
      Number((await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM ${Prisma.raw(`"${table}"`)} WHERE ${condition}`)[0]?.n);
    counted[table] = await count(mine);
    strangers[table] = await count(theirs);
  }
  const tables = Object.keys(counted);
  expect(tables).toHaveLength(personalTables().filter(([, entry]) => !('none' in entry.owner)).length);
  expect(counted).toEqual(Object.fromEntries(tables.map((table) => [table, expected[table] ?? 0])));
  expect(strangers).toEqual(Object.fromEntries(tables.map((table) => [table, 0])));
});

it('the rules hold together: rows are deleted whole or kept, pseudonyms replace the owner reference only, durations parse', () => {
  const problems: string[] = [];
  for (const [table, entry] of personalTables()) {
    const rows = erasureOfRows(table);
    for (const column of Object.keys(entry.columns)) {
      const policy = columnPolicy(table, column);
      if (rows === 'keep' && policy.erasure.action === 'delete') problems.push(`${table}.${column}: 'delete' in a table whose rows are kept (use 'blank')`);
      if (policy.erasure.action === 'pseudonymize' && !('column' in entry.owner && entry.owner.column === column && !('via' in entry.owner))) {
        problems.push(`${table}.${column}: only the owner reference is pseudonymized`);
      }
      if (policy.retention.kind === 'timed' && policy.retention.after) parseDuration(policy.retention.after);
      if (policy.encrypted && policy.export.action === 'mask') problems.push(`${table}.${column}: an encrypted column is included (decrypted) or excluded, not masked`);
    }
  }
  expect(problems).toEqual([]);
  expect(erasureOfRows('executions')).toBe('delete');
  expect(erasureOfRows('ledger_entries')).toBe('keep');
  expect(columnPolicy('operator_actions', 'operator').export).toMatchObject({ action: 'mask' });
  expect(columnPolicy('tools', 'prompt_ciphertext').encrypted).toBe(ENCRYPTED_COLUMNS.toolPrompt);
});

it("the retention the register states is the one the code applies by default (durations and the deadline columns the cleanup and the timer read)", () => {
  const config = loadConfig({
    DATABASE_URL: 'postgresql://u@127.0.0.1/db',
    DATA_ENCRYPTION_KEYS: Keyring.generateSpec(),
    EMAIL_INDEX_KEY: Buffer.alloc(32, 1).toString('base64'),
    RATE_LIMIT_KEY_SECRET: 'k'.repeat(44),
  });
  const timedRule = (table: keyof typeof PERSONAL_DATA) => {
    const retention = PERSONAL_DATA[table].retention;
    if (retention.kind !== 'timed') throw new Error(`${table} is not timed in the register`);
    return { from: retention.from, after: 'after' in retention && retention.after ? parseDuration(retention.after) : 0 };
  };
  expect(timedRule('api_tokens')).toEqual({ from: 'revoked_at', after: config.REVOKED_API_TOKEN_RETENTION });
  expect(timedRule('security_events')).toEqual({ from: 'created_at', after: config.SECURITY_EVENT_RETENTION });
  expect(timedRule('login_contexts')).toEqual({ from: 'last_seen_at', after: config.LOGIN_CONTEXT_RETENTION });
  expect(timedRule('sessions')).toEqual({ from: 'expires_at', after: 0 });
  expect(timedRule('rate_limit_hits')).toEqual({ from: 'reset_at', after: 0 });
  expect(timedRule('executions').from).toBe('expires_at'); // expires_at = created + EXECUTION_RETENTION
  expect(config.EXECUTION_RETENTION).toBe(parseDuration('90d'));
});
