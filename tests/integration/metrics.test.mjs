// GET /metrics as Prometheus scrapes it: the admin scope (a key without it is refused), the
// text format, and label values bounded: 10,000 requests with made-up model names, paths and
// keys leave the number of series where the first request of each kind put it, and every one
// of them is counted. After a mixed run the metrics' totals agree with the ledger's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, stop, eventually, tempFile, MOCK_CLOUDS, MOCK_KEYS, gatewayConfig } from './harness.mjs';

const ADMIN = 'metrics-admin-key-0123456789';
let mock;
let gw;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  const config = gatewayConfig(mock.port).replace('  workers: 2', `  workers: 2\n  admin_key: ${ADMIN}`);
  gw = await startProcess(['serve', '-c', tempFile('gw.yaml', config)],
    { env: { ...MOCK_KEYS, TOLLBOOTH_LOG: 'warn' }, prefix: 'tollbooth' });
});
after(async () => { await stop(gw); await stop(mock); });

async function scrape() {
  const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
  // Every request but the scrapes (route "none", 200): a scrape's own count comes after it.
  const requests = series.filter((l) => l.startsWith('tollbooth_requests_total{') &&
      !l.includes('route="none",status="200"'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { text, series: series.length, requests };
}

// One request of a kind: a served chat, an unknown model, a junk path, a made-up key.
async function send(kind, i) {
  const r = (Math.random() * 1e9).toString(36);
  const chat = (model, headers = {}) => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: `hi ${i}` }] }),
  });
  let res;
  if (kind === 0) res = await chat('direct');
  else if (kind === 1) res = await chat(`made-up-${r}`);
  else if (kind === 2) res = await fetch(`${gw.url}/v1/${r}/${i}?x=${r}`);
  else res = await chat('direct', { authorization: `Bearer tk-${r}${'x'.repeat(40)}` });
  await res.arrayBuffer();
}

test('the metrics scope (or admin) is needed, and the text is Prometheus\'s', async () => {
  const refused = await fetch(`${gw.url}/metrics`);
  assert.equal(refused.status, 403, "auth: none gives every caller the default scopes, not admin");
  await refused.arrayBuffer();
  const { text } = await scrape();
  assert.match(text, /# TYPE tollbooth_requests_total counter/);
  assert.match(text, /# TYPE gen_ai_server_request_duration_seconds histogram/);
  assert.match(text, /# TYPE gen_ai_client_token_usage histogram/);
});

test('10,000 requests with made-up models, paths and keys add no series after the first of each kind', async () => {
  for (let kind = 0; kind < 4; kind++) await send(kind, 0);
  await scrape();  // the scrape itself is a request: the second scrape shows its series
  const first = await scrape();
  let sent = 0;
  const workers = Array.from({ length: 32 }, async (_, w) => {
    for (let i = w; i < 10_000; i += 32) {
      await send(i % 4, i);
      sent++;
    }
  });
  await Promise.all(workers);
  // A request is counted just after its answer went out: the last ones may be a moment behind.
  const later = await eventually(async () => {
    const now = await scrape();
    assert.equal(now.requests - first.requests, sent, 'every request counted');
    return now;
  });
  assert.equal(later.series, first.series, 'no new series');
  assert.doesNotMatch(later.text, /made-up|tk-/, 'no client-made value is a label');
  assert.match(later.text, /tollbooth_requests_total\{model="direct",route="openai",status="200"\} \d+/);
  assert.match(later.text, /tollbooth_requests_total\{model="other",route="none",status="404"\} \d+/);
});

test('a team\'s budget shows what it has left, less what its requests were charged', async () => {
  const config = gatewayConfig(mock.port)
    .replace('  workers: 2', `  workers: 2\n  admin_key: ${ADMIN}`)
    .replace('auth: none', `auth: keys
teams: { research: { budget: { usd: 1, per: month } } }
keys: { app: { secret: env:TB_APP_KEY, team: research } }
prices:
  - { provider: openai, model: direct, input_per_mtok: 20, output_per_mtok: 80 }`);
  const secret = 'tk-' + 'M'.repeat(43);
  const priced = await startProcess(['serve', '-c', tempFile('gw-budget.yaml', config)],
    { env: { ...MOCK_KEYS, TB_APP_KEY: secret, TOLLBOOTH_LOG: 'warn' }, prefix: 'tollbooth' });
  try {
    const res = await fetch(`${priced.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'what is left?' }] }),
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const charged = Math.round(Number(res.headers.get('x-tollbooth-cost')) * 1e6);
    assert.ok(charged > 0, 'the request was charged');
    const text = await (await fetch(`${priced.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    assert.match(text, /# TYPE tollbooth_team_budget_remaining_micros gauge/);
    const left = Number(text.match(/tollbooth_team_budget_remaining_micros\{team="research"\} (\d+)/)[1]);
    assert.equal(left, 1_000_000 - charged);
  } finally {
    await stop(priced);
  }
});

// Sums every sample of a family whose labels match `where` (a substring test on the labels).
function total(text, family, where = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(family + '{') && !line.startsWith(family + ' ')) continue;
    const labels = line.slice(family.length, line.lastIndexOf(' '));
    if (where && !labels.includes(where)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

test('after a mixed run the metrics\' totals agree with the ledger: requests, tokens, cost, charge, tolls', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-metrics-ledger-'));
  const config = gatewayConfig(mock.port)
    .replace('  workers: 2', `  workers: 2\n  admin_key: ${ADMIN}`)
    .replace('auth: none', `auth: keys
store: { sqlite: ${join(dir, 'ledger.db')} }
teams: { research: { markup_percent: 10 } }
keys:
  app: { secret: env:TB_APP_KEY, team: research }
  scraper: { secret: env:TB_SCRAPER_KEY, scopes: [metrics] }
contracts:
  oa: { providers: [openai], revenue_share: { percent: 15, of: charge } }
prices:
  - { provider: openai, model: direct, input_per_mtok: 20, output_per_mtok: 80 }
  - { provider: openai, model: fallback-503, input_per_mtok: 0.15, output_per_mtok: 0.6 }`);
  const secret = 'tk-' + 'Q'.repeat(43);
  const scraper = 'tk-' + 'S'.repeat(43);
  const gw = await startProcess(['serve', '-c', tempFile('gw-ledger.yaml', config)],
    { env: { ...MOCK_KEYS, TB_APP_KEY: secret, TB_SCRAPER_KEY: scraper, TOLLBOOTH_LOG: 'warn' }, prefix: 'tollbooth' });
  try {
    // A scraper's key holds `metrics` and nothing else; an API key without it is refused.
    const scraped = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } });
    assert.equal(scraped.status, 200);
    await scraped.arrayBuffer();
    const asApp = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(asApp.status, 403);
    assert.match((await asApp.json()).error.message, /metrics/);
    const scraperChats = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${scraper}` },
      body: JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(scraperChats.status, 403);
    await scraperChats.arrayBuffer();

    const chat = async (model, stream) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `a mixed run for ${model}` }] }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    // Whole and streamed answers (no usage asked: the gateway asks for it), fallbacks after a
    // 503, Bedrock through Converse, and requests every route fails.
    const plan = [['direct', false, 12], ['direct', true, 12], ['fallback-503', false, 6],
      ['fallback-503', true, 4], ['claude', true, 5], ['claude', false, 3], ['all-down', false, 4]];
    const statuses = [];
    for (const [model, stream, n] of plan)
      for (let i = 0; i < n; i++) statuses.push(await chat(model, stream));
    assert.equal(statuses.filter((s) => s === 200).length, 42);

    // An attempt is counted just after its answer went out: the last may be a moment behind.
    const metrics = await eventually(async () => {
      const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } })).text();
      assert.equal(total(text, 'tollbooth_attempts_total', 'outcome="served"'), 42);
      return text;
    });
    const served = total(metrics, 'tollbooth_attempts_total', 'outcome="served"');
    // Kept-alive connections to the clouds that answered, in the workers' pools.
    const idle = total(metrics, 'tollbooth_upstream_idle_connections');
    assert.ok(idle >= 1 && idle <= 16, `${idle} idle upstream connections`);
    assert.ok(total(metrics, 'tollbooth_upstream_connections_total', 'connection="reused"') > 0,
      'later attempts went on pooled connections');
    // The ledger's writer batches: wait for every row.
    const spend = await eventually(async () => {
      const s = await (await fetch(`${gw.url}/admin/v1/spend?by=model`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
      assert.equal(s.total.rows, served, 'a ledger row per served attempt');
      return s;
    });
    const t = spend.total;
    // Served model requests (the scrape and the refusals above are route "none").
    assert.equal(t.requests, total(metrics, 'tollbooth_requests_total', 'status="200"') -
      total(metrics, 'tollbooth_requests_total', 'route="none",status="200"'));
    assert.equal(t.input_tokens, total(metrics, 'gen_ai_client_token_usage_sum', 'gen_ai_token_type="input"'));
    assert.equal(t.output_tokens, total(metrics, 'gen_ai_client_token_usage_sum', 'gen_ai_token_type="output"'));
    assert.ok(t.charge_micros > 0 && t.toll_micros > 0, 'priced, with a toll');
    assert.equal(t.cost_micros, total(metrics, 'tollbooth_cost_micros_total'));
    assert.equal(t.charge_micros, total(metrics, 'tollbooth_charge_micros_total'));
    assert.equal(t.toll_micros, total(metrics, 'tollbooth_toll_due_micros_total', 'contract="oa"'));
    assert.ok(t.charge_micros > t.cost_micros, 'the team\'s markup is in the charge');
    // And per model, the charge of each.
    for (const row of spend.data)
      assert.equal(row.charge_micros, total(metrics, 'tollbooth_charge_micros_total', `model="${row.group}"`), row.group);
  } finally {
    await stop(gw);
  }
});
