// DATABASE_URL's sslmode (and sslrootcert) is honoured by every way the project
// connects to Postgres: Prisma (createPrisma: the pg driver adapter's pool), a
// raw pg Client (scripts/lib/dev-services), and `prisma migrate deploy`
// (prisma.config.ts). Two throwaway embedded Postgres servers: one with TLS
// (a certificate for 127.0.0.1 signed by a test CA), one without.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createPrisma } from '../../src/db';
import { freePort, migrateDatabase } from '../../scripts/lib/dev-services';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates';
import { startPostgresProcess, type PostgresProcess } from '../helpers/postgres-process';

let certs: TestCertificates;
let parent: string;
let withTls: PostgresProcess;
let withoutTls: PostgresProcess;

beforeAll(async () => {
  certs = await makeTestCertificates(['127.0.0.1', 'localhost']);
  if (process.getuid?.() === 0) {
    // As root, Postgres runs as the system user `postgres`, which must own the key (mode 600).
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(certs.serverKeyFile, id('-u'), id('-g'));
  }
  parent = mkdtempSync(path.join(os.tmpdir(), 'sotally-sslmode-'));
  chmodSync(parent, 0o755);
  const [tlsPort, plainPort] = await Promise.all([freePort(), freePort()]);
  // One after the other: two initdb runs at once (as root, each also making sure of the `postgres`
  // system user) made one of them fail now and then on a busy CI machine.
  withTls = await startPostgresProcess({
    dataDir: path.join(parent, 'tls'),
    port: tlsPort,
    postgresFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${certs.serverCertFile}`, '-c', `ssl_key_file=${certs.serverKeyFile}`],
  });
  withoutTls = await startPostgresProcess({ dataDir: path.join(parent, 'plain'), port: plainPort });
}, 60_000);

afterAll(async () => {
  await Promise.all([withTls?.stop(), withoutTls?.stop()]);
  rmSync(parent, { recursive: true, force: true });
  rmSync(certs.dir, { recursive: true, force: true });
});

const SSL_OF_THIS_CONNECTION = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';

/** Whether the connection each way makes is encrypted, or the message of its failure. */
async function outcomes(server: PostgresProcess, query: string): Promise<{ prisma: boolean | string | undefined; pg: boolean | string | undefined }> {
  const url = `${server.adminUrl}?${query}`;
  const prisma = createPrisma(url, 1);
  const viaPrisma = await prisma
    .$queryRawUnsafe<{ ssl: boolean }[]>(SSL_OF_THIS_CONNECTION)
    .then((rows) => rows[0]?.ssl, (err: Error) => err.message.trim().split('\n').pop() ?? '')
    .finally(() => prisma.$disconnect());
  const client = new Client({ connectionString: url });
  const viaPg = await client
    .connect()
    .then(() => client.query<{ ssl: boolean }>(SSL_OF_THIS_CONNECTION))
    .then((result) => result.rows[0]?.ssl, (err: Error) => err.message)
    .finally(() => client.end().catch(() => undefined));
  return { prisma: viaPrisma, pg: viaPg };
}

const unverified = /unable to verify the first certificate|self.signed certificate/;

it('verify-full connects with the CA, and refuses another CA or none (Node\'s CAs do not know it)', async () => {
  expect(await outcomes(withTls, `sslmode=verify-full&sslrootcert=${certs.caFile}`)).toEqual({ prisma: true, pg: true });
  for (const query of [`sslmode=verify-full&sslrootcert=${certs.wrongCaFile}`, 'sslmode=verify-full']) {
    expect(await outcomes(withTls, query)).toEqual({ prisma: expect.stringMatching(unverified), pg: expect.stringMatching(unverified) });
  }
});

it('pg 8 semantics: sslmode=require verifies like verify-full; uselibpqcompat=true&sslmode=require and no-verify encrypt without verifying', async () => {
  expect(await outcomes(withTls, 'sslmode=require')).toEqual({ prisma: expect.stringMatching(unverified), pg: expect.stringMatching(unverified) });
  expect(await outcomes(withTls, 'uselibpqcompat=true&sslmode=require')).toEqual({ prisma: true, pg: true });
  expect(await outcomes(withTls, 'sslmode=no-verify')).toEqual({ prisma: true, pg: true });
});

it('without sslmode, or with sslmode=disable, the connection is plain text even to a server that offers TLS', async () => {
  expect(await outcomes(withTls, 'sslmode=disable')).toEqual({ prisma: false, pg: false });
  expect(await outcomes(withTls, '')).toEqual({ prisma: false, pg: false });
});

it('asked for TLS, a server without it is refused, never used in plain text (prefer included)', async () => {
  const noTls = expect.stringMatching(/does not support SSL/);
  for (const query of ['sslmode=require', 'sslmode=verify-full', 'sslmode=prefer']) {
    expect(await outcomes(withoutTls, query)).toEqual({ prisma: noTls, pg: noTls });
  }
  expect(await outcomes(withoutTls, 'sslmode=disable')).toEqual({ prisma: false, pg: false });
});

it('prisma migrate deploy honours it too (were it ignored, the migrations would run in plain text)', () => {
  expect(() => migrateDatabase(`${withTls.adminUrl}?sslmode=verify-full&sslrootcert=${certs.wrongCaFile}`)).toThrow(unverified);
});
