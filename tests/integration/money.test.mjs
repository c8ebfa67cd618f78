// The money end to end: the real gateway in front of the mock clouds, its ledger read back
// through `tollbooth spend` and `contracts`, and every figure recomputed independently from the
// mock clouds' own record of the usage they reported (GET /_mock/usage) and the config's prices,
// in integer micro-dollars (BigInt), so a rounding or a double count anywhere shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

const ADMIN = 'test-admin-key-for-money';
let mock;

// Extra mock clouds: a slow one (SIGTERM and kill -9 under load) and a trickling one (aborts).
const CLOUDS = `${MOCK_CLOUDS}
  slowish:
    kind: openai
    prefix: /slowish
    fault: "latency_ms=150"
  drip:
    kind: openai
    prefix: /drip
    stream_delay_ms: 20
`;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', CLOUDS)],
    { prefix: 'mock', env: MOCK_KEYS });
});
after(() => stop(mock));

// Prices per (provider, public model), USD per million tokens, as the config says them; the
// same figures in micro-dollars for the recomputation.
const PRICES = {
  openai: { input: 2_500_000n, cached: 1_250_000n, write: null, output: 10_000_000n },
  'azure-east': { input: 2_750_000n, cached: 1_375_000n, write: null, output: 11_000_000n },
  bedrock: { input: 3_000_000n, cached: 300_000n, write: 3_750_000n, output: 15_000_000n },
  slowish: { input: 1_000_000n, cached: null, write: null, output: 2_000_000n },
  drip: { input: 400_000_000n, cached: null, write: null, output: 800_000_000n },
};
const DISCOUNT_BP = { 'azure-east': 1250n };  // contract ms: 12.5 %
const MARKUP_BP = 1000n;                     // team acme: 10 %

function config(dir, { extra = '', billing = '', contracts = '' } = {}) {
  const m = `http://127.0.0.1:${mock.port}`;
  return `
server: { listen: 127.0.0.1:0, workers: 2, admin_key: ${ADMIN}, drain_timeout: 10s }
auth: keys
store: { sqlite: ${join(dir, 'money.db')}, refresh: 100ms }
billing: { ledger: { flush_interval: 50ms } ${billing} }
routing: { attempts: 3, backoff: 10ms }
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
  azure-east: { kind: azure, endpoint: ${m}/azure-east, api_key: env:MOCK_AZURE_KEY, api_version: 2024-10-21 }
  bedrock: { kind: bedrock, region: us-east-1, endpoint: ${m}/bedrock, access_key_id: env:MOCK_AWS_ACCESS_KEY_ID, secret_access_key: env:MOCK_AWS_SECRET }
  down: { kind: openai, base_url: ${m}/down/v1, api_key: k }
  slowish: { kind: openai, base_url: ${m}/slowish/v1, api_key: k }
  drip: { kind: openai, base_url: ${m}/drip/v1, api_key: k }
models:
  gpt-o: { routes: [ { provider: openai, model: gpt-4o } ] }
  gpt-a: { routes: [ { provider: azure-east, deployment: gpt4o-prod } ] }
  claude: { routes: [ { provider: bedrock, model_id: anthropic.claude-3-5-sonnet-20240620-v1:0 } ] }
  # The first route fails before its first byte on every request: the fallback bills once.
  gpt-f: { routes: [ { provider: down }, { provider: openai, model: gpt-4o } ] }
  slow: { routes: [ { provider: slowish } ] }
  pricey: { routes: [ { provider: drip } ] }
  pricey-f: { routes: [ { provider: down }, { provider: drip } ] }
contracts:
  ms: { providers: [azure-east], discount_percent: 12.5 }
${contracts}
prices:
  - { provider: openai, model: gpt-o, input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10 }
  - { provider: openai, model: gpt-f, input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10 }
  - { provider: down, model: gpt-f, input_per_mtok: 1000, output_per_mtok: 1000 }
  - { provider: azure-east, model: gpt-a, input_per_mtok: 2.75, cached_input_per_mtok: 1.375, output_per_mtok: 11 }
  - { provider: bedrock, model: claude, input_per_mtok: 3, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75, output_per_mtok: 15 }
  - { provider: slowish, model: slow, input_per_mtok: 1, output_per_mtok: 2 }
  - { provider: drip, model: pricey, input_per_mtok: 400, output_per_mtok: 800 }
  - { provider: down, model: pricey-f, input_per_mtok: 1000, output_per_mtok: 1000 }
  - { provider: drip, model: pricey-f, input_per_mtok: 400, output_per_mtok: 800 }
teams:
  acme: { markup_percent: 10 }
${extra}`;
}

async function startGateway(dir, opts = {}) {
  const path = join(dir, `gw-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, config(dir, opts));
  const gw = await startProcess(['serve', '-c', path], { prefix: 'tollbooth', env: MOCK_KEYS });
  gw.config = path;
  return gw;
}

async function admin(gw, method, path, body) {
  const res = await fetch(`${gw.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function makeKey(gw, fields) {
  const r = await admin(gw, 'POST', '/keys', fields);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.key.id, secret: r.body.secret };
}

const QUESTION = 'Please explain briefly how a toll bridge decides what each crossing costs.';

function ask(gw, secret, model, { stream = false, max_tokens, usage = false, signal } = {}) {
  const body = { model, messages: [{ role: 'user', content: QUESTION }] };
  if (stream) body.stream = true;
  if (usage) body.stream_options = { include_usage: true };
  if (max_tokens) body.max_tokens = max_tokens;
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

function cli(gw, ...args) {
  const r = spawnSync(BIN, [...args, '-c', gw.config], { env: { ...process.env, ...MOCK_KEYS }, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function spend(gw, ...args) {
  return JSON.parse(cli(gw, 'spend', '--since', '2020-01-01', '--format', 'json', ...args));
}

async function mockUsage() {
  const r = await (await fetch(`${mock.url}/_mock/usage`)).json();
  assert.equal(r.dropped, 0);
  return r.usage;
}
async function clearMock() {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
}

// Half up to a whole unit: (x + d/2) / d for x >= 0.
const div = (x, d) => (x * 2n + d) / (2n * d);

// The charge of one mock record, recomputed from its own usage object and the prices.
function recompute(record, { markup = 0n } = {}) {
  const p = PRICES[record.cloud];
  assert.ok(p, `a price for cloud ${record.cloud}`);
  const u = record.usage;
  let input, cached, write, output;
  if (record.kind === 'bedrock') {
    cached = BigInt(u.cacheReadInputTokens ?? 0);
    write = BigInt(u.cacheWriteInputTokens ?? 0);
    input = BigInt(u.inputTokens) + cached + write;  // Bedrock's inputTokens exclude both
    output = BigInt(u.outputTokens);
  } else {
    input = BigInt(u.prompt_tokens);  // OpenAI's include the cached ones
    cached = BigInt(u.prompt_tokens_details?.cached_tokens ?? 0);
    write = BigInt(u.prompt_tokens_details?.cache_write_tokens ?? 0);
    output = BigInt(u.completion_tokens ?? 0);  // reasoning included; none for embeddings
  }
  const plain = input - cached - write;
  const sum = plain * p.input + cached * (p.cached ?? p.input) + write * (p.write ?? p.input) +
    output * p.output;
  const gross = div(sum, 1_000_000n);
  const discount = div(gross * (DISCOUNT_BP[record.cloud] ?? 0n), 10_000n);
  const cost = gross - discount;
  return { cost, charge: cost + div(cost * markup, 10_000n) };
}

test('the ledger equals an independent recomputation from the clouds\' own usage, to the micro-dollar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir);
  try {
    await clearMock();
    const key = await makeKey(gw, { alias: 'mixed', team: 'acme' });
    let answered = 0;
    const costs = [];
    const jobs = [];
    for (const model of ['gpt-o', 'gpt-a', 'claude', 'gpt-f']) {
      for (const stream of [false, true]) {
        for (let i = 0; i < 3; i++) {
          jobs.push((async () => {
            const res = await ask(gw, key.secret, model, { stream, usage: stream && i === 0 });
            assert.equal(res.status, 200, model);
            const text = await res.text();
            if (!stream) {
              assert.match(res.headers.get('x-tollbooth-cost') ?? '', /^\d+(\.\d{1,6})?$/);
              costs.push({ model, header: res.headers.get('x-tollbooth-cost'), usage: JSON.parse(text).usage });
            } else if (i === 0) {
              // The usage chunk a client asked for carries the same figure.
              const chunk = text.split('\n\n').map((e) => e.replace(/^data: /, ''))
                .filter((d) => d.startsWith('{')).map((d) => JSON.parse(d)).find((c) => c.usage);
              assert.ok(chunk, `${model}: a usage chunk`);
              assert.equal(typeof chunk.usage.cost, 'number', `${model}: usage.cost`);
            }
            answered++;
          })());
        }
      }
    }
    await Promise.all(jobs);
    assert.equal(answered, 24);
    const records = await mockUsage();
    // gpt-f's first route (down) never answered: only the three clouds that served reported.
    assert.equal(records.length, 24);
    await stop(gw);  // SIGTERM: the ledger is flushed
    let cost = 0n, charge = 0n;
    for (const r of records) {
      const x = recompute(r, { markup: MARKUP_BP });
      cost += x.cost;
      charge += x.charge;
    }
    const report = spend(gw, '--by', 'provider');
    assert.equal(report.total.rows, 24, 'one row per attempt that reported usage, none for the failed ones');
    assert.equal(report.total.requests, 24);
    assert.equal(BigInt(report.total.cost_micros), cost);
    assert.equal(BigInt(report.total.charge_micros), charge);
    assert.equal(report.total.estimated_rows, 0);
    assert.deepEqual(report.data.map((g) => g.group).sort(), ['azure-east', 'bedrock', 'openai']);
    // A non-streamed answer's header is its charge: the same figure, recomputed from its usage.
    for (const c of costs) {
      const cloud = { 'gpt-o': 'openai', 'gpt-f': 'openai', 'gpt-a': 'azure-east', claude: 'bedrock' }[c.model];
      // The client sees OpenAI's shape from every cloud (Bedrock's too: prompt_tokens include
      // the cache reads and writes).
      const micros = recompute({ cloud, kind: 'openai', usage: c.usage }, { markup: MARKUP_BP }).charge;
      const [whole, frac = ''] = c.header.split('.');
      assert.equal(BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0')), micros, `${c.model} header`);
    }
  } finally {
    await stop(gw);
  }
});

test('Responses and embeddings requests are billed as chat is: the ledger equals the recomputation, the header the charge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir);
  try {
    await clearMock();
    const key = await makeKey(gw, { alias: 'responses', team: 'acme' });
    const headers = [];
    for (const model of ['gpt-o', 'gpt-a']) {
      for (const stream of [false, true]) {
        const res = await fetch(`${gw.url}/v1/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, input: QUESTION, stream }),
        });
        assert.equal(res.status, 200, model);
        const text = await res.text();
        if (!stream) headers.push({ model, header: res.headers.get('x-tollbooth-cost'), usage: JSON.parse(text).usage });
        else assert.match(text, /event: response\.completed/);
      }
      const emb = await fetch(`${gw.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, input: ['embed these words', 'and these'] }),
      });
      assert.equal(emb.status, 200, `${model} embeddings`);
      const body = await emb.json();
      headers.push({ model, header: emb.headers.get('x-tollbooth-cost'),
        usage: { input_tokens: body.usage.prompt_tokens, output_tokens: 0 } });
    }
    const records = await mockUsage();
    assert.equal(records.length, 6);
    await stop(gw);
    let charge = 0n;
    for (const r of records) charge += recompute(r, { markup: MARKUP_BP }).charge;
    const report = spend(gw, '--by', 'provider');
    assert.equal(report.total.rows, 6);
    assert.equal(BigInt(report.total.charge_micros), charge);
    assert.equal(report.total.estimated_rows, 0, 'a stream\'s usage is read from response.completed');
    for (const h of headers) {
      const cloud = { 'gpt-o': 'openai', 'gpt-a': 'azure-east' }[h.model];
      const usage = { prompt_tokens: h.usage.input_tokens, completion_tokens: h.usage.output_tokens,
        prompt_tokens_details: { cached_tokens: h.usage.input_tokens_details?.cached_tokens ?? 0 } };
      const micros = recompute({ cloud, kind: 'openai', usage }, { markup: MARKUP_BP }).charge;
      const [whole, frac = ''] = (h.header ?? '').split('.');
      assert.equal(BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0')), micros, `${h.model} header`);
    }
  } finally {
    await stop(gw);
  }
});

test('embeddings reserve no output tokens: a budget too small for a chat request\'s worst case admits them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir);
  try {
    // $0.01: under a chat request's worst case (4,096 default output tokens at gpt-o's price),
    // far above an embeddings request's (a few input tokens).
    const key = await makeKey(gw, { alias: 'small', budget: { usd: '0.01', per: 'month' } });
    const chat = await ask(gw, key.secret, 'gpt-o');
    assert.equal(chat.status, 429);
    assert.equal((await chat.json()).error.code, 'budget_exceeded');
    const emb = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-o', input: 'embed these words' }),
    });
    assert.equal(emb.status, 200);
    assert.match(emb.headers.get('x-tollbooth-cost') ?? '', /^0\.0000\d+$/);
  } finally {
    await stop(gw);
  }
});

test('64 concurrent streams against a $1.00 team budget settle at most $1.00; refusals name the budget', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir, { extra: '' });
  try {
    assert.equal((await admin(gw, 'POST', '/teams', { id: 'capped', budget: { usd: '1.00', per: 'month' } })).status, 201);
    const key = await makeKey(gw, { team: 'capped' });
    const results = await Promise.all(Array.from({ length: 64 }, async () => {
      const res = await ask(gw, key.secret, 'pricey', { stream: true, max_tokens: 40 });
      return { status: res.status, body: await res.text() };
    }));
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    assert.ok(ok > 0, 'some requests fit the budget');
    assert.ok(refused.length > 0, 'the budget turned some away');
    assert.equal(ok + refused.length, 64);
    const err = JSON.parse(refused[0].body).error;
    assert.equal(err.code, 'budget_exceeded');
    assert.match(err.message, /team capped/);
    assert.match(err.message, /\$1\.00/);
    // A client has its last byte a moment before the gateway settles: wait for the settles.
    const book = await settled(gw, 'team:capped');
    assert.ok(book.spent_micros <= 1_000_000, `spent ${book.spent_micros} <= $1.00`);
    await stop(gw);
    const report = spend(gw, '--by', 'team', '--team', 'capped');
    assert.equal(report.total.charge_micros, book.spent_micros, 'the budget counter equals its ledger rows');
    assert.ok(report.total.charge_micros <= 1_000_000);
  } finally {
    await stop(gw);
  }
});

// Waits until the gateway's budget book holds no reservation (streams whose client left are
// still read on to their usage).
async function settled(gw, subject) {
  for (let i = 0; i < 200; i++) {
    const b = (await admin(gw, 'GET', '/budgets')).body.data.find((x) => x.subject === subject);
    if (b && b.reserved_micros === 0) return b;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${subject} still holds a reservation`);
}

for (const mode of ['finish', 'cancel']) {
  test(`1,000 requests, half the clients leaving mid-stream, a tenth falling back (on_client_abort: ${mode}): nothing stays reserved and each budget equals its ledger`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
    const gw = await startGateway(dir, { billing: `, on_client_abort: ${mode}` });
    try {
      assert.equal((await admin(gw, 'POST', '/teams', { id: 'big', budget: { usd: '1000000', per: 'month' } })).status, 201);
      const key = await makeKey(gw, { team: 'big', budget: { usd: '1000000', per: 'day' } });
      let next = 0;
      const worker = async () => {
        while (next < 1000) {
          const i = next++;
          const model = i % 10 === 0 ? 'pricey-f' : 'pricey';
          const ctl = new AbortController();
          try {
            const res = await ask(gw, key.secret, model, { stream: true, max_tokens: 30, signal: ctl.signal });
            assert.equal(res.status, 200);
            if (i % 2 === 0) {
              const reader = res.body.getReader();
              await reader.read();  // the first bytes, then the client leaves
              ctl.abort();
            } else {
              await res.text();
            }
          } catch (e) {
            if (e.name !== 'AbortError') throw e;
          }
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      const team = await settled(gw, 'team:big');
      const k = await settled(gw, `key:${key.id}`);
      await stop(gw);
      const byTeam = spend(gw, '--by', 'team', '--team', 'big');
      const byKey = spend(gw, '--by', 'key', '--key', key.id);
      assert.equal(byTeam.total.charge_micros, team.spent_micros);
      assert.equal(byKey.total.charge_micros, k.spent_micros);
      assert.equal(byTeam.total.requests, 1000, 'every request billed once, fallbacks included');
      assert.equal(byTeam.total.rows, 1000, 'a failed first route bills nothing');
      if (mode === 'cancel') assert.ok(byTeam.total.estimated_rows >= 400, `${byTeam.total.estimated_rows} estimated`);
      else assert.equal(byTeam.total.estimated_rows, 0, 'every stream read on to the usage the cloud reported');
    } finally {
      await stop(gw);
    }
  });
}

test('a toll cap crossed mid-run pays exactly the cap, with two gateways on one store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const contracts = '  aws: { providers: [bedrock], revenue_share: { percent: 50, of: cost, cap_usd: 0.0005 } }';
  const a = await startGateway(dir, { contracts });
  const b = await startGateway(dir, { contracts });
  try {
    const key = await makeKey(a, {});
    await new Promise((r) => setTimeout(r, 300));  // b's snapshot picks up the key
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const res = await ask(i % 2 ? a : b, key.secret, 'claude', { stream: i % 4 < 2 });
      assert.equal(res.status, 200);
      await res.text();
    }));
    await stop(a);
    await stop(b);
    const report = spend(a, '--by', 'contract');
    const aws = report.data.find((g) => g.group === 'aws');
    assert.ok(aws.cost_micros / 2 > 500, 'the share due is above the cap');
    assert.equal(aws.toll_micros, 500, 'exactly the cap, never past it');
    const contractsReport = JSON.parse(cli(a, 'contracts', '--format', 'json'));
    const c = contractsReport.data.find((x) => x.name === 'aws');
    assert.equal(c.tolls_paid_micros, 500);
    assert.equal(c.revenue_share.left_micros, 0);
  } finally {
    await stop(a);
    await stop(b);
  }
});

// 20 clients asking the slow model until `stopping()` or the gateway refuses them; the time of
// each answer given.
function underLoad(gw, secret) {
  const answeredAt = [];
  let stopping = false;
  const worker = async () => {
    while (!stopping) {
      try {
        const res = await ask(gw, secret, 'slow');
        if (res.status === 200) {
          await res.json();
          answeredAt.push(Date.now());
        } else {
          await res.text();
        }
      } catch {
        return;  // refused: the gateway is draining, or gone
      }
    }
  };
  const running = Promise.all(Array.from({ length: 20 }, worker));
  return { answeredAt, async stop() { stopping = true; await running; } };
}

test('SIGTERM under load: every answer given has its ledger row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir);
  const key = await makeKey(gw, {});
  const load = underLoad(gw, key.secret);
  await new Promise((r) => setTimeout(r, 1000));
  const exited = stop(gw);
  const stopped = load.stop();
  assert.equal(await exited, 0);
  await stopped;
  const answers = load.answeredAt.length;
  assert.ok(answers > 20, `${answers} answers`);
  assert.equal(spend(gw).total.rows, answers);
});

test('kill -9 under load loses at most the last flush interval, and the next start says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir);
  const key = await makeKey(gw, {});
  const load = underLoad(gw, key.secret);
  const { answeredAt } = load;
  await new Promise((r) => setTimeout(r, 1500));
  const killedAt = Date.now();
  await stop(gw, 'SIGKILL');
  await load.stop();
  const rows = spend(gw).total.rows;
  // Rows are written every 50 ms: answers given well before the kill (a second, far more than
  // one interval, so a loaded machine cannot fail it) are all in the ledger; none is twice.
  const early = answeredAt.filter((t) => t < killedAt - 1000).length;
  assert.ok(rows >= early, `${rows} rows >= ${early} answers given a second before the kill`);
  assert.ok(rows <= answeredAt.length + 20, `${rows} rows for ${answeredAt.length} answers`);
  const again = await startProcess(['serve', '-c', gw.config], { prefix: 'tollbooth', env: MOCK_KEYS });
  try {
    await new Promise((r) => setTimeout(r, 200));
    assert.match(again.stderr(), /previous run .* did not shut down cleanly; it wrote \d+ rows/);
  } finally {
    await stop(again);
  }
});

test('a price change at T leaves every report of usage before T unchanged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-money-'));
  const gw = await startGateway(dir);
  const key = await makeKey(gw, {});
  for (let i = 0; i < 5; i++) await (await ask(gw, key.secret, 'gpt-o')).text();
  await stop(gw);
  const before = spend(gw);
  // T to the second, after every row so far (rows carry milliseconds), before any that follow.
  await new Promise((r) => setTimeout(r, 1100));
  const T = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await new Promise((r) => setTimeout(r, 1100));
  // The same pair gets a new price from today: requests from now on pay it.
  const today = T.slice(0, 10);
  const path = join(dir, 'repriced.yaml');
  writeFileSync(path, config(dir, {}).replace(
    '- { provider: openai, model: gpt-o, input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10 }',
    `- { provider: openai, model: gpt-o, input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10, effective_from: 2020-01-01 }
  - { provider: openai, model: gpt-o, input_per_mtok: 25, output_per_mtok: 100, effective_from: ${today} }`));
  const again = await startProcess(['serve', '-c', path], { prefix: 'tollbooth', env: MOCK_KEYS });
  again.config = path;
  try {
    const res = await ask(again, key.secret, 'gpt-o');
    assert.equal(res.status, 200);
    await res.text();
  } finally {
    await stop(again);
  }
  const untilT = JSON.parse(cli(again, 'spend', '--since', '2020-01-01', '--until', T, '--format', 'json'));
  assert.deepEqual(untilT.total, before.total, 'usage before T is reported as it was');
  const all = spend(again);
  assert.equal(all.total.rows, 6);
  const average = before.total.charge_micros / 5;
  assert.ok(all.total.charge_micros - before.total.charge_micros >= 9 * average,
    'the request after T paid the new, tenfold price');
});
