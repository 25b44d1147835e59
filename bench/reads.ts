// API reads against what Express and Postgres can do on the same machine (issue 15, step 1:
// find where each request's CPU goes before changing anything). The API runs as in
// production (`npm run build`, `node dist/src/server.js`); beside it, in the same run, a
// bare Express 5 process answers the same paths with the same JSON (no middleware, no
// database): the ceiling. autocannon drives each at 32 connections. For every row: the
// rate, latency, and CPU seconds per 1,000 requests of each process (API or baseline,
// Postgres's backends, the load generator). Then `GET /v1/credits` decomposed against a
// third process, bare Express with only the API's balance statement over plain pg. Then the
// layers: what the same token look-up costs through Prisma and through plain pg, and a CPU
// profile of the API under the authenticated read, summarized by package.
//   BENCH_READS_SECONDS=10 node --import tsx bench/reads.ts
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { freePort, stopChild, waitForPort } from '../scripts/lib/dev-services';
import { ROOT } from '../scripts/lib/temporal-binaries';
import { benchDatabase, machine, markdownTable, writeBenchmarkSection } from './lib';
import { LAYERS } from './reads-layers';
import { BALANCE_STATEMENT } from '../src/credits/ledger';
import { cpuSeconds, postgresCpu, summarizeProfile } from './processes';

const SECONDS = Number(process.env.BENCH_READS_SECONDS ?? 10);
const CONNECTIONS = 32;
const PASSWORD = 'correct horse battery staple';

async function startNode(args: string[], env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort('127.0.0.1', port, 30_000, child);
  return child;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  cpuPer1000: { server: number; postgres: number; loadGenerator: number };
}

/**
 * autocannon against `urls` at once, the connections split between them (one URL per server
 * process): summed rate, worst latency, failures, and CPU per 1,000 requests over all `servers`.
 */
async function load(urls: string[], servers: ChildProcess[], headers: Record<string, string> = {}): Promise<Load> {
  const serverCpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.pid!), 0);
  const before = { server: serverCpu(), postgres: postgresCpu(), self: process.cpuUsage() };
  const results = await Promise.all(urls.map((url) => autocannon({ url, connections: CONNECTIONS / urls.length, duration: SECONDS, headers })));
  const self = process.cpuUsage(before.self);
  const total = results.reduce((sum, r) => sum + r.requests.total, 0);
  const per1000 = (seconds: number) => (seconds / total) * 1000;
  return {
    rps: results.reduce((sum, r) => sum + r.requests.average, 0),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
    cpuPer1000: {
      server: per1000(serverCpu() - before.server),
      postgres: per1000(postgresCpu() - before.postgres),
      loadGenerator: per1000((self.user + self.system) / 1e6),
    },
  };
}

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** CPU ms per operation of `op`, 16 at a time, after a warm-up. */
async function cpuPerOp(op: () => Promise<unknown>, count = 4000): Promise<number> {
  for (let i = 0; i < 300; i += 1) await op();
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < count / 16; i += 1) await op(); }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

async function main() {
  console.log('building (npm run build) …');
  if (spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');

  const db = await benchDatabase('sotally_bench_reads');
  const apiPort = await freePort();
  const env = {
    NODE_ENV: 'production',
    OPENAI_API_KEY: 'sk-bench-never-called', // reads never call the model
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '10',
    DATA_ENCRYPTION_KEYS: `v1:${randomBytes(32).toString('base64')}`,
    EMAIL_INDEX_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_KEY_SECRET: randomBytes(32).toString('base64'),
    ALLOW_PLAIN_HTTP: 'true',
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, // reads never call Temporal
    PASSWORD_COST_LOG2: '14',
    LOG_LEVEL: 'info',
    PORT: String(apiPort),
  };
  const children: ChildProcess[] = [];
  try {
    const api = await startNode(['dist/src/server.js'], env, apiPort);
    children.push(api);
    const base = `http://127.0.0.1:${apiPort}`;

    // A user with a token and one tool, as a client would make them.
    const signup = await fetch(`${base}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bench', email: 'bench@reads.test', password: PASSWORD }) });
    const cookies = signup.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /csrf_token=([^;]+)/.exec(cookies)![1]!;
    const { token } = await json(`${base}/v1/auth/tokens`, { method: 'POST', headers: { cookie: cookies, 'x-csrf-token': csrf }, body: JSON.stringify({ name: 'bench' }) });
    const bearer = { authorization: `Bearer ${token}` };
    await json(`${base}/v1/tools`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({
        name: 'Greeter', description: 'Greets someone', prompt: 'Say hello to {{who}}.', model: 'gpt-4o-mini', priceCredits: 200,
        inputSchema: { type: 'object', properties: { who: { type: 'string', maxLength: 100 } }, required: ['who'] },
      }),
    });

    // The ceiling: bare Express answering the same bodies.
    const bodies = {
      '/healthz': await json(`${base}/healthz`),
      '/v1/tools': await json(`${base}/v1/tools`),
      '/v1/credits': await json(`${base}/v1/credits`, { headers: bearer }),
      '/v1/me': await json(`${base}/v1/me`, { headers: bearer }),
    };
    const barePort = await freePort();
    const bareScript = `const express = require('express'); const app = express(); const bodies = ${JSON.stringify(bodies)};
      for (const [p, b] of Object.entries(bodies)) app.get(p, (req, res) => res.json(b));
      app.listen(${barePort});`;
    const bare = await startNode(['-e', bareScript], {}, barePort);
    children.push(bare);

    const rows: (string | number)[][] = [];
    const ratios: (string | number)[][] = [];
    for (const [route, headers] of [['/healthz', {}], ['/v1/tools', {}], ['/v1/credits', bearer], ['/v1/me', bearer]] as const) {
      const ours = await load([`${base}${route}`], [api], headers);
      const ceiling = await load([`http://127.0.0.1:${barePort}${route}`], [bare], headers);
      for (const [who, r] of [['Sotally', ours], ['bare Express', ceiling]] as const) {
        rows.push([`\`GET ${route}\`${Object.keys(headers).length ? ' (Bearer)' : ''}`, who, Math.round(r.rps).toLocaleString('en'), r.p50, r.p99, r.non2xx, r.cpuPer1000.server.toFixed(2), r.cpuPer1000.postgres.toFixed(2), r.cpuPer1000.loadGenerator.toFixed(2)]);
      }
      ratios.push([`\`GET ${route}\``, `${(ours.rps / ceiling.rps).toFixed(2)}×`, `${(ours.cpuPer1000.server / ceiling.cpuPer1000.server).toFixed(1)}×`]);
    }

    // The balance read, decomposed: between bare Express (no database) and the API sits Express
    // with nothing but the API's own balance statement over plain pg (pool of 10, the user's id
    // fixed), answering the same JSON. It shows what one Postgres round trip costs every request
    // on this machine, before any of the API's own work. Three rounds, the order turned each round,
    // so a drift of the machine's speed within the run shows as the spread of the ratios.
    const decomposed: (string | number)[][] = [];
    {
      const userId = bodies['/v1/me'].id as string;
      const pgPort = await freePort();
      const pgScript = `const express = require('express'); const pg = require('pg'); const app = express();
        const pool = new pg.Pool({ connectionString: ${JSON.stringify(db.url)}, max: 10 });
        app.get('/v1/credits', async (req, res) => {
          const { rows: [row] } = await pool.query({ ...${JSON.stringify(BALANCE_STATEMENT)}, values: [${JSON.stringify(userId)}] });
          res.json({ available: row?.available ?? 0, reserved: row?.reserved ?? 0, underReview: row?.under_review ?? false });
        });
        app.listen(${pgPort});`;
      const barePg = await startNode(['-e', pgScript], {}, pgPort);
      children.push(barePg);
      const answer = await json(`http://127.0.0.1:${pgPort}/v1/credits`);
      if (JSON.stringify(answer) !== JSON.stringify(bodies['/v1/credits'])) throw new Error(`bare Express + pg answers ${JSON.stringify(answer)}, the API ${JSON.stringify(bodies['/v1/credits'])}`);
      // In the table's order: the ceiling, Express + pg, the API.
      const servers = [
        ['bare Express', `http://127.0.0.1:${barePort}/v1/credits`, bare],
        ['bare Express + pg', `http://127.0.0.1:${pgPort}/v1/credits`, barePg],
        ['Sotally', `${base}/v1/credits`, api],
      ] as const;
      for (let round = 0; round < 3; round += 1) {
        const measured: Load[] = [];
        for (let i = 0; i < servers.length; i += 1) {
          const at = (i + round) % servers.length;
          const [, url, child] = servers[at]!;
          measured[at] = await load([url], [child], bearer);
        }
        const [ceiling, withPg, ours] = measured as [Load, Load, Load];
        const cell = (r: Load) => `${Math.round(r.rps).toLocaleString('en')} (${r.cpuPer1000.server.toFixed(2)})`;
        decomposed.push([round + 1, cell(ceiling), cell(withPg), cell(ours), `${(withPg.rps / ceiling.rps).toFixed(2)}×`, `${(ours.rps / ceiling.rps).toFixed(2)}×`]);
      }
      await stopChild(barePg);
      children.splice(children.indexOf(barePg), 1);
    }

    // Scale-out (issue 15, item 5): two API processes, and two bare Express processes, each pair
    // sharing the same 32 connections (16 each), side by side in the same run.
    const scaleRows: (string | number)[][] = [];
    {
      const secondPort = await freePort();
      const secondApi = await startNode(['dist/src/server.js'], { ...env, PORT: String(secondPort) }, secondPort);
      children.push(secondApi);
      const secondBarePort = await freePort();
      const secondBare = await startNode(['-e', bareScript.replace(`app.listen(${barePort})`, `app.listen(${secondBarePort})`)], {}, secondBarePort);
      children.push(secondBare);
      for (const [route, headers] of [['/v1/tools', {}], ['/v1/credits', bearer]] as const) {
        const ours = await load([`${base}${route}`, `http://127.0.0.1:${secondPort}${route}`], [api, secondApi], headers);
        const ceiling = await load([`http://127.0.0.1:${barePort}${route}`, `http://127.0.0.1:${secondBarePort}${route}`], [bare, secondBare], headers);
        const single = ratios.find((r) => r[0] === `\`GET ${route}\``)!;
        scaleRows.push([`\`GET ${route}\``, Math.round(ours.rps).toLocaleString('en'), ours.p99, ours.non2xx + ceiling.non2xx, ours.cpuPer1000.server.toFixed(2), Math.round(ceiling.rps).toLocaleString('en'), `${(ours.rps / ceiling.rps).toFixed(2)}×`, single[1]!]);
      }
      for (const child of [secondApi, secondBare]) {
        await stopChild(child);
        children.splice(children.indexOf(child), 1);
      }
    }

    // Layers: the API's middleware added one at a time to bare Express, GET /healthz; then the whole API.
    const middleware: (string | number)[][] = [];
    let bareCpu = 0;
    for (let count = 0; count < LAYERS.length; count += 1) {
      const port = await freePort();
      const server = await startNode(['--import', 'tsx', 'bench/reads-layers.ts', String(port), String(count)], {}, port);
      const r = await load([`http://127.0.0.1:${port}/healthz`], [server]);
      await stopChild(server);
      if (count === 0) bareCpu = r.cpuPer1000.server;
      middleware.push([LAYERS[count]!, Math.round(r.rps).toLocaleString('en'), r.p50, r.cpuPer1000.server.toFixed(2), (r.cpuPer1000.server - bareCpu).toFixed(2)]);
    }
    const whole = await load([`${base}/healthz`], [api]);
    middleware.push(['the whole API (+ authentication, the router of every route, the route layer)', Math.round(whole.rps).toLocaleString('en'), whole.p50, whole.cpuPer1000.server.toFixed(2), (whole.cpuPer1000.server - bareCpu).toFixed(2)]);

    // Layers: the token look-up of every authenticated request, through Prisma and through pg.
    const pool = new pg.Pool({ connectionString: db.url, max: 10 });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const stored = await prisma.apiToken.findFirstOrThrow();
    const joined = 'SELECT t.id, t.revoked_at, t.proven_at, u.id AS user_id, u.roles::text[] AS roles FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1';
    const layers = [
      ['token + user, Prisma `findUnique` with `include` (what auth.ts does: 2 statements)', await cpuPerOp(() => prisma.apiToken.findUnique({ where: { tokenHash: stored.tokenHash }, include: { user: { select: { id: true, roles: true } } } }))],
      ['token only, Prisma `findUnique`', await cpuPerOp(() => prisma.apiToken.findUnique({ where: { tokenHash: stored.tokenHash } }))],
      ['token + user, one joined statement, Prisma `$queryRawUnsafe`', await cpuPerOp(() => prisma.$queryRawUnsafe(joined, stored.tokenHash))],
      ['token + user, one joined statement, plain `pg` (prepared)', await cpuPerOp(() => pool.query({ name: 'bench-token', text: joined, values: [stored.tokenHash] }))],
      ['credit balance, Prisma `findUnique`', await cpuPerOp(() => prisma.creditAccount.findUnique({ where: { userId: stored.userId } }))],
    ].map(([what, ms]) => [what as string, (ms as number).toFixed(3)]);
    await prisma.$disconnect();
    await pool.end(); // the adapter does not own the pool: left open, its idle clients die with the database at the end

    // Where the API's CPU goes under the authenticated read: a CPU profile of a second API process.
    await stopChild(api);
    children.splice(children.indexOf(api), 1);
    const profileDir = mkdtempSync(path.join(os.tmpdir(), 'sotally-profile-'));
    const spawnedAt = Date.now();
    const profiled = await startNode(['--cpu-prof', `--cpu-prof-dir=${profileDir}`, 'dist/src/server.js'], env, apiPort);
    const loadStartMs = Date.now() - spawnedAt;
    await load([`${base}/v1/credits`], [profiled], bearer);
    await stopChild(profiled);
    const profileFile = readdirSync(profileDir).map((f) => path.join(profileDir, f)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const frames = summarizeProfile(profileFile, loadStartMs).slice(0, 14).map(([what, pct]) => [what, `${pct.toFixed(1)} %`]);

    const body = `## API reads (\`bench/reads.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; the API from \`npm run build\` (\`node dist/src/server.js\`,
\`LOG_LEVEL=info\`, pool of 10), Postgres and the load generator (autocannon, ${CONNECTIONS} connections, ${SECONDS} s per row) on the
same machine. "bare Express" is an Express 5 process answering the same paths with the same JSON, measured in the same run.
CPU is seconds per 1,000 requests, from /proc, for the server process, all of Postgres, and the load generator.

${markdownTable(['route', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx or errors', 'server CPU s/1k', 'Postgres CPU s/1k', 'load gen CPU s/1k'], rows)}

${markdownTable(['route', 'Sotally ÷ bare Express, req/s', 'server CPU per request, Sotally ÷ bare'], ratios)}

\`GET /v1/credits\` (Bearer) decomposed: bare Express; Express with only the API's balance statement over plain pg, the
same JSON ("bare Express + pg": one Postgres round trip per request and nothing else); the API. Three rounds of ${SECONDS} s
each, the order turned every round. req/s, with the server's CPU s/1k in brackets:

${markdownTable(['round', 'bare Express', 'bare Express + pg', 'Sotally', 'bare Express + pg ÷ bare', 'Sotally ÷ bare'], decomposed)}

Two processes of each on the same machine (issue 15, item 5): two API processes against the same Postgres, and two bare
Express processes, each pair taking the same ${CONNECTIONS} connections (${CONNECTIONS / 2} each, at once):

${markdownTable(['route', 'two API processes, req/s', 'p99 ms', 'non-2xx or errors', 'API CPU s/1k', 'two bare Express, req/s', 'Sotally ÷ bare Express, two each', 'one each (table above)'], scaleRows)}

The API's middleware added one layer at a time to bare Express, in the API's order, \`GET /healthz\` (no database):

${markdownTable(['server', 'req/s', 'p50 ms', 'CPU s/1k', 'above bare Express, CPU s/1k'], middleware)}

What one statement costs the API process (CPU ms per call, 16 at a time, same database):

${markdownTable(['statement', 'CPU ms per call'], layers)}

Where the API's main thread spends its busy time under \`GET /v1/credits\` with a Bearer token (\`--cpu-prof\`, samples from the
start of the load on, self time by package; "native: writev" is the socket writes of responses and of the log lines):

${markdownTable(['package or layer', 'share of busy time'], frames)}
`;
    console.log(body);
    writeBenchmarkSection('reads', body);
  } finally {
    for (const child of children) await stopChild(child);
    await db.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
