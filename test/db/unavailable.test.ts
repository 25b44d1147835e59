// What pg itself throws when the database cannot serve a statement, from the few
// statements the API runs without Prisma (authentication, src/db.ts), is a 503
// database_unavailable the client may retry, not a 500: a pool with no free
// connection, and a server that does not answer.
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/api/errors';
import { freePort } from '../../scripts/lib/dev-services';
import { testConfig } from '../helpers/env';

it('an exhausted pool and an unreachable server are "database unavailable"; a bad statement is not', async () => {
  const pool = new pg.Pool({ connectionString: testConfig().DATABASE_URL, max: 1, connectionTimeoutMillis: 200 });
  const held = await pool.connect();
  try {
    const exhausted = await pool.query('SELECT 1').catch((err: unknown) => err);
    expect(isDatabaseUnavailable(exhausted)).toBe(true);
    const wrong = await held.query('SELECT * FROM no_such_table').catch((err: unknown) => err);
    expect(isDatabaseUnavailable(wrong)).toBe(false);
  } finally {
    held.release();
    await pool.end();
  }

  const nowhere = new pg.Pool({ connectionString: `postgresql://postgres@127.0.0.1:${await freePort()}/nothing`, max: 1 });
  expect(isDatabaseUnavailable(await nowhere.query('SELECT 1').catch((err: unknown) => err))).toBe(true);
  await nowhere.end();
});
