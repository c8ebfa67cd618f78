// Several gateway instances as one: keys and teams in one PostgreSQL, rate-limit counters in one
// Redis. Each instance must accept a key another one made (within store.refresh), refuse it once
// another revoked it, and share one limit: two instances with rpm 100 admit 100, not 200.
// The servers are started here from scripts/with-postgres and scripts/with-redis (or reused when
// make test already exported their URLs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, stop, eventually, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADMIN = 'test-admin-key-for-shared';
let mock;
const started = [];  // [script, dir] of servers this file started
let pgUrl = process.env.TOLLBOOTH_TEST_PG_URL;
let redisUrl = process.env.TOLLBOOTH_TEST_REDIS_URL;

// `scripts/with-X --start` prints NAME=value lines; returns them as an object.
function startService(script) {
  const out = execFileSync(join(root, 'scripts', script), ['--start'], { encoding: 'utf8' });
  const vars = Object.fromEntries(out.trim().split('\n').map((l) => {
    const at = l.indexOf('=');
    return [l.slice(0, at), l.slice(at + 1).replace(/^'|'$/g, '')];
  }));
  return vars;
}

before(async () => {
  if (!pgUrl) {
    const v = startService('with-postgres');
    pgUrl = v.TOLLBOOTH_TEST_PG_URL;
    started.push(['with-postgres', v.TOLLBOOTH_TEST_PG_DIR]);
  }
  if (!redisUrl) {
    const v = startService('with-redis');
    redisUrl = v.TOLLBOOTH_TEST_REDIS_URL;
    started.push(['with-redis', v.TOLLBOOTH_TEST_REDIS_DIR]);
  }
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { prefix: 'mock', env: MOCK_KEYS });
});

after(async () => {
  await stop(mock);
  for (const [script, dir] of started) execFileSync(join(root, 'scripts', script), ['--stop', dir]);
});

function config({ redis = 'env:TB_REDIS_URL', failure = '' } = {}) {
  const m = `http://127.0.0.1:${mock.port}`;
  return `
server: { listen: 127.0.0.1:0, workers: 2, admin_key: ${ADMIN}, drain_timeout: 1s }
auth: keys
store: { postgres: env:TB_PG_URL, refresh: 250ms ${redis ? `, redis: ${redis}` : ''} ${failure} }
billing: { unpriced: allow }  # these tests are not about prices
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
  bedrock: { kind: bedrock, region: us-east-1, endpoint: ${m}/bedrock, api_key: env:MOCK_BEDROCK_API_KEY }
models:
  direct: { routes: [ { provider: openai } ] }
  claude: { routes: [ { provider: bedrock, model_id: "anthropic.claude-3-haiku-20240307-v1:0" } ] }
  dear: { routes: [ { provider: openai, model: gpt-4o } ] }
prices:
  - { provider: openai, model: dear, input_per_mtok: 400, output_per_mtok: 800 }
`;
}

async function gateway(opts = {}, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tb-shared-'));
  const path = join(dir, 'gw.yaml');
  writeFileSync(path, config(opts));
  return startProcess(['serve', '-c', path], {
    prefix: 'tollbooth', env: { ...MOCK_KEYS, TB_PG_URL: pgUrl, TB_REDIS_URL: redisUrl, ...env },
  });
}

async function admin(gw, method, path, body) {
  const res = await fetch(`${gw.url}/admin/v1${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function chat(gw, key) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res;
}

// POST /v1/responses on `gw`; the answer's JSON (a stream's final response when `stream`).
async function respond(gw, key, body) {
  const res = await fetch(`${gw.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'claude', ...body }),
  });
  assert.equal(res.status, 200);
  if (!body.stream) return res.json();
  const text = await res.text();
  const done = text.split('\n\n').find((e) => e.includes('event: response.completed'));
  return JSON.parse(done.slice(done.indexOf('data: ') + 6)).response;
}

// Polls `fn` until it returns true or `ms` pass; returns how long it took, or -1.
async function within(ms, fn) {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await fn()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  return -1;
}

test('two gateways on one PostgreSQL: a key made on one works on the other; revoked on the other, it is refused on both', async () => {
  const a = await gateway();
  const b = await gateway();
  try {
    const made = await admin(a, 'POST', '/keys', { alias: 'shared' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { secret } = made.body;
    assert.equal((await chat(a, secret)).status, 200, 'at once on the instance that made it');
    const seen = await within(2000, async () => (await chat(b, secret)).status === 200);
    assert.ok(seen >= 0 && seen < 1000, `accepted by the other instance within store.refresh (took ${seen} ms)`);

    assert.equal((await admin(b, 'POST', `/keys/${made.body.key.id}/revoke`, {})).status, 200);
    assert.equal((await chat(b, secret)).status, 401);
    const gone = await within(2000, async () => (await chat(a, secret)).status === 401);
    assert.ok(gone >= 0 && gone < 1000, `refused by the other instance within store.refresh (took ${gone} ms)`);
  } finally {
    await Promise.all([stop(a), stop(b)]);
  }
});

test('two gateways on one PostgreSQL: a response kept by one is read and continued on the other at once', async () => {
  const a = await gateway();
  const b = await gateway();
  try {
    const made = await admin(a, 'POST', '/keys', { alias: 'conversation' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { secret } = made.body;
    assert.equal((await within(2000, async () => (await chat(b, secret)).status === 200)) >= 0, true);
    // A streamed turn on one instance, continued on the other without any wait.
    const first = await respond(a, secret, { input: 'the code word is heron', stream: true });
    const got = await fetch(`${b.url}/v1/responses/${first.id}`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(got.status, 200);
    assert.equal((await got.json()).output[0].content[0].text, first.output[0].content[0].text);
    await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
    const second = await respond(b, secret, { input: 'say it', previous_response_id: first.id });
    assert.equal(second.status, 'completed');
    const seen = (await (await fetch(`${mock.url}/_mock/requests`)).json()).requests;
    const converse = JSON.parse(seen.at(-1).body);
    assert.deepEqual(converse.messages.map((m) => m.content[0].text),
      ['the code word is heron', first.output[0].content[0].text, 'say it'],
      'the other instance rebuilt the history from the shared store');
  } finally {
    await Promise.all([stop(a), stop(b)]);
  }
});

test('two gateways sharing Redis admit exactly rpm requests between them, with the headers', async () => {
  const a = await gateway();
  const b = await gateway();
  try {
    const made = await admin(a, 'POST', '/keys', { rpm: 100 });
    const { secret } = made.body;
    // Until b has the key its answers are 401s; the first answer after that counts.
    let first;
    await within(2000, async () => { first = await chat(b, secret); return first.status !== 401; });
    const counts = { 200: 0, 429: 0, other: 0 };
    assert.equal(first.status, 200);
    counts[200]++;
    const worker = async (i) => {
      const gw = i % 2 ? a : b;
      for (let n = 0; n < 3; n++) {
        const r = await chat(gw, secret);
        if (r.status === 200 || r.status === 429) counts[r.status]++;
        else counts.other++;
        if (r.status === 429) {
          assert.equal(r.headers.get('x-ratelimit-limit-requests'), '100');
          assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
          assert.ok(Number(r.headers.get('retry-after')) >= 1);
        }
      }
    };
    await Promise.all(Array.from({ length: 64 }, (_, i) => worker(i)));
    assert.equal(counts.other, 0);
    assert.equal(counts[200], 100, 'one limit for both instances');
    assert.equal(counts[200] + counts[429], 64 * 3 + 1);
  } finally {
    await Promise.all([stop(a), stop(b)]);
  }
});

test('Redis unreachable: fail_closed refuses limited keys with a 503 naming it, fail_open admits, and both log it', async () => {
  const closed = await gateway({ redis: 'redis://127.0.0.1:9', failure: ', redis_failure: fail_closed' });
  const open = await gateway({ redis: 'redis://127.0.0.1:9', failure: ', redis_failure: fail_open' });
  try {
    const made = await admin(closed, 'POST', '/keys', { rpm: 5 });
    const { secret } = made.body;
    const r = await fetch(`${closed.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await r.json();
    assert.equal(r.status, 503);
    assert.equal(body.error.code, 'rate_limit_unavailable');
    await within(2000, async () => (await chat(open, secret)).status === 200);
    for (let i = 0; i < 8; i++) assert.equal((await chat(open, secret)).status, 200, 'over rpm 5, but open');
    // An unlimited key never needs Redis.
    const free = await admin(closed, 'POST', '/keys', {});
    assert.equal((await chat(closed, free.body.secret)).status, 200);
  } finally {
    await Promise.all([stop(closed), stop(open)]);
  }
  assert.match(closed.stderr(), /redis/i);
  assert.match(open.stderr(), /redis/i);
});

test('a team budget held in Redis is shared: two gateways together never settle past it, and both show what is left', async () => {
  const a = await gateway();
  const b = await gateway();
  try {
    const team = `budget-${Date.now().toString(36)}`;
    assert.equal((await admin(a, 'POST', '/teams', { id: team, budget: { usd: '0.50', per: 'month' } })).status, 201);
    const made = await admin(a, 'POST', '/keys', { team });
    assert.equal(made.status, 201);
    const secret = made.body.secret;
    await new Promise((r) => setTimeout(r, 600));  // b's snapshot picks up the key and team
    const statuses = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const res = await fetch(`${(i % 2 ? a : b).url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'dear', max_tokens: 40, messages: [{ role: 'user', content: 'Please explain briefly how a toll bridge decides what each crossing costs.' }] }),
      });
      const body = await res.json();
      if (res.status === 429) assert.equal(body.error.code, 'budget_exceeded');
      return res.status;
    }));
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok > 0 && ok < 40, `${ok} of 40 fit the budget`);
    assert.equal(statuses.filter((s) => s === 429).length, 40 - ok);
    // Both ledger writers' last batches: rows land a flush interval after their answers.
    const report = await eventually(async () => {
      const r = await admin(a, 'GET', `/spend?by=team&team=${team}&since=2020-01-01`);
      assert.equal(r.status, 200);
      assert.equal(r.body.total.rows, ok);
      return r;
    });
    assert.ok(report.body.total.charge_micros <= 500_000, `${report.body.total.charge_micros} <= $0.50`);
    // Each gateway's /metrics shows what the team has left, both gateways' spend together.
    for (const gw of [a, b]) {
      const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      const line = text.split('\n').find((l) => l.startsWith(`tollbooth_team_budget_remaining_micros{team="${team}"}`));
      assert.ok(line, 'the team\'s gauge is there');
      assert.equal(Number(line.split(' ').pop()), 500_000 - report.body.total.charge_micros);
    }
  } finally {
    await stop(a);
    await stop(b);
  }
});
