// The operator's dashboard (/ui/) in a real browser: Debian's chromium driven by playwright-core.
// An operator signs in with the admin key (a wrong key is refused on the page), a team's key sends
// real traffic through the mock clouds, and the page shows the spend the ledger holds, the
// contract's tolls and burn, the team's budget and the audit entry; then an upstream starts
// failing and the page shows its route's breaker open. Leaves build/dashboard.png behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { chromium } from 'playwright-core';
import { startStack, eventually } from './stack.mjs';

const ADMIN = 'dashboard-admin-key-0123456789';
const SCREENSHOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'dashboard.png');

// An OpenAI-compatible upstream of our own that can be told to fail: the mock clouds' faults
// are fixed at start, and the breaker needs a route that works and then does not.
function startHouseUpstream() {
  const state = { failing: false, served: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (state.failing) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'the house model is down', type: 'server_error' } }));
        return;
      }
      state.served += 1;
      const model = JSON.parse(body).model ?? 'house-1';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: `chatcmpl-house-${state.served}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'From the house.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 },
      }));
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, state, port: server.address().port })));
}

function utcDate(daysFromToday) {
  return new Date(Date.now() + daysFromToday * 86_400_000).toISOString().slice(0, 10);
}

function config(mockUrl, housePort, dir) {
  const year = new Date().getUTCFullYear();
  return `
server: { listen: 127.0.0.1:0, workers: 2, admin_key: ${ADMIN} }
auth: keys
store: { sqlite: ${join(dir, 'dashboard.db')}, refresh: 100ms }
billing: { ledger: { flush_interval: 50ms } }
routing:
  attempts: 1
  breaker: { failures: 3, cooldown: 5m }
providers:
  openai: { kind: openai, base_url: ${mockUrl}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
  azure-east: { kind: azure, endpoint: ${mockUrl}/azure-east, api_key: env:MOCK_AZURE_KEY, api_version: 2024-10-21 }
  house: { kind: openai, base_url: http://127.0.0.1:${housePort}/v1, api_key: house-key }
models:
  gpt-o: { routes: [ { provider: openai, model: gpt-4o } ] }
  gpt-a: { routes: [ { provider: azure-east, deployment: gpt4o-prod } ] }
  house-1: { routes: [ { provider: house } ] }
contracts:
  microsoft:
    providers: [azure-east]
    discount_percent: 10
    license_until: ${utcDate(200)}
    commitment: { usd: 5000, from: ${year}-01-01, to: ${year}-12-31 }
    revenue_share: { percent: 20, of: charge, cap_usd: 1000, until: ${utcDate(90)} }
prices:
  - { provider: openai, model: gpt-o, input_per_mtok: 2.5, output_per_mtok: 10 }
  - { provider: azure-east, model: gpt-a, input_per_mtok: 2.75, output_per_mtok: 11 }
  - { provider: house, model: house-1, input_per_mtok: 1, output_per_mtok: 2 }
teams:
  research: { markup_percent: 10, rpm: 600, budget: { usd: 50, per: month, soft_percent: 80 } }
`;
}

let stack;
let house;
let browser;

before(async () => {
  house = await startHouseUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-dashboard-'));
  stack = await startStack('', (yaml) => {
    const mockUrl = yaml.match(/base_url: (http:\/\/127\.0\.0\.1:\d+)\/openai\/v1/)[1];
    return config(mockUrl, house.port, dir);
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await new Promise((ok) => (house ? house.server.close(ok) : ok()));
});

async function admin(path, init = {}) {
  const res = await fetch(`${stack.gw.url}/admin/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
  });
  const body = await res.json();
  assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function metrics() {
  const res = await fetch(`${stack.gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  return res.text();
}

// The page reads /metrics every 5 s and the ledger writes every 50 ms, so what is awaited
// arrives by itself: `check` (which asserts) is retried for up to 20 s.
const settled = (check) => eventually(check, 20_000, 200);

// "$1,234.500001" as shown on the page -> integer micro-dollars.
function micros(text) {
  const m = text.trim().match(/^(-?)\$([\d,]+)\.(\d{2,6})$/);
  assert.ok(m, `not a dollar amount: ${JSON.stringify(text)}`);
  const value = Number(m[2].replaceAll(',', '')) * 1_000_000 + Number(m[3].padEnd(6, '0'));
  return m[1] ? -value : value;
}

test('sign in, see real traffic\'s spend, then a failing upstream\'s breaker open', async () => {
  const gw = stack.gw.url;
  const { key, secret } = await admin('/keys', {
    method: 'POST',
    body: JSON.stringify({ alias: 'notebook', team: 'research', budget: { usd: '5', per: 'day' } }),
  });

  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const origins = new Set();
  page.on('request', (r) => origins.add(new URL(r.url()).origin));
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

  // The page asks for a key first, and says so when the gateway refuses one.
  await page.goto(`${gw}/ui/`);
  await page.locator('#signin input[name=key]').fill('tk-not-a-real-key');
  await page.locator('#signin button[type=submit]').click();
  const refusal = page.locator('#signin-error');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /refused this key/);
  // A real key without the admin scope is told what it lacks.
  await page.locator('#signin input[name=key]').fill(secret);
  await page.locator('#signin button[type=submit]').click();
  await settled(async () => assert.match(await refusal.innerText(), /may not use the admin API/));
  problems.length = 0;  // the browser logs the 401 and the 403; from here on nothing may fail

  await page.locator('#signin input[name=key]').fill(ADMIN);
  await page.locator('#signin button[type=submit]').click();
  // Nothing has been spent yet.
  await settled(async () => {
    assert.equal(await page.locator('#spend-total [data-field=requests]').innerText(), '0');
  });

  // Real traffic with the team's key: the mock OpenAI, the contract's Azure, and the house model.
  const client = new OpenAI({ baseURL: `${gw}/v1`, apiKey: secret, maxRetries: 0 });
  const ask = (model) => client.chat.completions.create({
    model, max_tokens: 64, messages: [{ role: 'user', content: 'How does a toll bridge price a crossing?' }],
  });
  for (const model of ['gpt-o', 'gpt-o', 'gpt-a', 'gpt-a', 'gpt-a', 'house-1']) {
    const answer = await ask(model);
    assert.ok(answer.choices[0].message.content.length > 0);
  }
  // The ledger has every request (it writes in batches every 50 ms).
  const since = new Date(Date.now() - 23 * 3_600_000).toISOString().slice(0, 13);
  const byTeam = await settled(async () => {
    const r = await admin(`/spend?by=team&over=hour&since=${since}:00:00Z`);
    assert.equal(r.total.requests, 6);
    return r;
  });
  const teamCharge = byTeam.data.filter((row) => row.group === 'research')
    .reduce((sum, row) => sum + row.charge_micros, 0);
  assert.equal(teamCharge, byTeam.total.charge_micros, 'every request was the team\'s');
  assert.ok(teamCharge > 0);

  // The page reads spend every 30 s; the operator asks for it now, and sees what the ledger has.
  await page.locator('#refresh').click();
  const teamRow = page.locator('[data-spend-by="team"] tr[data-group="research"]');
  await settled(async () => {
    assert.equal(micros(await teamRow.locator('[data-field=charge]').innerText()), teamCharge);
  });
  assert.equal(await teamRow.locator('[data-field=requests]').innerText(), '6');
  assert.equal(micros(await page.locator('#spend-total [data-field=charge]').innerText()), byTeam.total.charge_micros);
  const byModel = await admin(`/spend?by=model&since=${since}:00:00Z`);
  for (const row of byModel.data) {
    const cell = page.locator(`[data-spend-by="model"] tr[data-group="${row.group}"] [data-field=cost]`);
    assert.equal(micros(await cell.innerText()), row.cost_micros, row.group);
  }
  // A chart per dimension (uPlot's canvas).
  assert.equal(await page.locator('[data-spend-by] canvas').count(), 4);

  // The contract: tolls paid and commitment burned, as the contracts report has them.
  const contract = (await admin('/contracts')).data.find((c) => c.name === 'microsoft');
  assert.ok(contract.tolls_paid_micros > 0 && contract.commitment.burned_micros > 0);
  const card = page.locator('[data-contract="microsoft"]');
  await settled(async () => {
    assert.equal(micros(await card.locator('[data-field=tolls_paid]').innerText()), contract.tolls_paid_micros);
  });
  assert.equal(micros(await card.locator('[data-field=burned]').innerText()), contract.commitment.burned_micros);
  assert.equal(micros(await card.locator('[data-field=target]').innerText()), contract.commitment.target_micros);
  assert.equal(await card.locator('[data-field=license_days_left]').innerText(), '200 days left');

  // The team's budget: $50 a month less what the ledger charged it this month.
  const month = `${new Date().toISOString().slice(0, 7)}-01`;
  const teamMonth = (await admin(`/spend?by=team&since=${month}`)).data.find((r) => r.group === 'research');
  const team = page.locator('#team-table tr[data-team="research"]');
  assert.equal(micros(await team.locator('[data-field=spent]').innerText()), teamMonth.charge_micros);
  assert.equal(micros((await team.locator('[data-field=left]').innerText()).split('\n')[0]),
    50_000_000 - teamMonth.charge_micros);
  const keyRow = page.locator(`#key-table tr[data-key="${key.id}"]`);
  assert.equal(micros(await keyRow.locator('[data-field=left]').innerText()), 5_000_000 - teamCharge);
  // The audit log has the key's creation.
  assert.match(await page.locator('#audit-table tbody').innerText(), new RegExp(`key\\.create\\s+key:${key.id}`));

  // The house upstream fails: three failures in a row open its breaker.
  const houseRow = page.locator('#route-table tr[data-route="house-1/house"]');
  assert.equal(await houseRow.getAttribute('data-breaker'), 'closed');
  house.state.failing = true;
  for (let i = 0; i < 3; i += 1) {
    await assert.rejects(ask('house-1'), (e) => e.status >= 500);
  }
  const scrape = await metrics();
  assert.match(scrape, /tollbooth_route_up\{model="house-1",route="house"\} 0/);
  await settled(async () => {
    assert.equal(await houseRow.getAttribute('data-breaker'), 'open');
  });
  assert.equal(await houseRow.locator('[data-field=breaker]').innerText(), 'open');
  assert.match(await page.locator('#routes-summary').innerText(), /1 of 3 breakers open/);
  const healthy = scrape.match(/tollbooth_route_up\{model="gpt-o",route="([^"]+)"\} 1/)[1];
  assert.equal(await page.locator(`#route-table tr[data-route="gpt-o/${healthy}"]`).getAttribute('data-breaker'), 'closed');

  // Every panel loaded, and nothing but the gateway was asked for anything.
  assert.equal(await page.locator('section .error').count(), 0, await page.locator('section .error').allInnerTexts().then((t) => t.join('\n')));
  assert.deepEqual([...origins], [gw]);
  assert.deepEqual(problems, []);

  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Signing out forgets the key: a reload asks for it again.
  await page.locator('#signout').click();
  await page.locator('#signin').waitFor();
  await page.reload();
  await page.locator('#signin').waitFor();
  await page.close();
});
