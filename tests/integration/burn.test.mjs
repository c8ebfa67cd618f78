// strategy: commitment_burn through the real binary: two clouds under two contracts whose
// commitments differ in size, requests flowing, the ledger on SQLite. The route whose contract is
// furthest behind its pro-rata target gets each request, the plan header says so with the
// figures that decided, the burn the gateway routes by is the ledger's to the micro-dollar (also
// after a restart, and across two gateways on one store), and `tollbooth route --explain` says
// the same offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

const ADMIN = 'burn-admin-key';
let mock;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { prefix: 'mock', env: MOCK_KEYS });
});
after(() => stop(mock));

const DAY = 86_400_000;
const utcDate = (days) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
const TODAY = utcDate(0);

// Both commitments run for 20 days, of which today is the 10th: each pro-rata target is half
// the commitment. azure-east's contract (big) has committed $0.20, openai's (small) $0.06, so
// with nothing burned big is $0.10 behind and small $0.03: big gets the traffic, although
// openai comes first in the file, until big's lead is burned away.
const TARGET = { big: 100_000n, small: 30_000n };  // micro-dollars
const ROUTE_OF = { big: 'azure-east', small: 'openai' };
const CONTRACT_OF = { 'azure-east': 'big', openai: 'small' };

function config(dir) {
  const m = `http://127.0.0.1:${mock.port}`;
  return `
server: { listen: 127.0.0.1:0, workers: 2, admin_key: ${ADMIN} }
auth: none
store: { sqlite: ${join(dir, 'burn.db')} }
billing: { ledger: { flush_interval: 20ms } }
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
  azure-east: { kind: azure, endpoint: ${m}/azure-east, api_key: env:MOCK_AZURE_KEY, api_version: 2024-10-21 }
models:
  gpt:
    strategy: commitment_burn
    routes:
      - { provider: openai, model: gpt-4o }
      - { provider: azure-east, deployment: gpt4o-prod }
contracts:
  small: { providers: [openai], commitment: { usd: 0.06, from: ${utcDate(-9)}, to: ${utcDate(10)} } }
  big: { providers: [azure-east], commitment: { usd: 0.2, from: ${utcDate(-9)}, to: ${utcDate(10)} } }
prices:
  - { provider: openai, model: gpt, input_per_mtok: 100, output_per_mtok: 200 }
  - { provider: azure-east, model: gpt, input_per_mtok: 100, output_per_mtok: 200 }
`;
}

async function startGateway(path) {
  return startProcess(['serve', '-c', path], { prefix: 'tollbooth', env: MOCK_KEYS });
}

const BODY = { model: 'gpt', messages: [{ role: 'user', content: 'How does a toll bridge price a crossing?' }] };

// One request as the admin key (who sees the plan): which route served it, what it cost (in
// micro-dollars: the charge, which is the cost here, and so the commitment burn), and the plan.
async function ask(gw) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(BODY),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.arrayBuffer();
  const cost = res.headers.get('x-tollbooth-cost');
  assert.match(cost, /^\d+(\.\d{1,6})?$/);
  const [whole, frac = ''] = cost.split('.');
  return {
    route: res.headers.get('x-tollbooth-route'),
    micros: BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0')),
    plan: parsePlan(res.headers.get('x-tollbooth-plan')),
  };
}

const toMicros = (usd) => {
  const [whole, frac = ''] = usd.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
};

// "azure-east=commitment_burn(big:0.012/0.1);openai=commitment_burn(small:0/0.03)" →
// [{ label, contract, burned, target, behind }] in plan order, figures in micro-dollars.
function parsePlan(header) {
  return header.split(';').map((entry) => {
    const m = entry.match(/^([\w-]+)=commitment_burn\(([\w-]+):([\d.]+)\/([\d.]+)\)$/);
    assert.ok(m, `a commitment_burn placement with its figures: ${entry}`);
    const burned = toMicros(m[3]);
    const target = toMicros(m[4]);
    return { label: m[1], contract: m[2], burned, target, behind: target - burned };
  });
}

// The plan puts the contract furthest behind first, and that route served the request.
function assertFurthestBehindServed(answer) {
  const [first, second] = answer.plan;
  assert.ok(first.behind >= second.behind,
    `${first.label} (${first.behind} behind) before ${second.label} (${second.behind} behind)`);
  if (first.behind === second.behind) assert.equal(first.label, 'openai', 'a tie keeps file order');
  assert.equal(answer.route, first.label);
  for (const p of answer.plan) {
    assert.equal(p.label, ROUTE_OF[p.contract]);
    assert.equal(p.target, TARGET[p.contract], `${p.contract}: half its commitment on day 10 of 20`);
  }
}

// Sends requests until the plan shows exactly `burned` (micro-dollars per contract): the batch
// that carries the last answers reaches the store, and the gateway reads it back, within a flush
// interval or so.
async function askUntilBurnShows(gw, burned, answers) {
  for (let i = 0; i < 400; i++) {
    const a = await ask(gw);
    const shown = Object.fromEntries(a.plan.map((p) => [p.contract, p.burned]));
    const caughtUp = shown.big === burned.big && shown.small === burned.small;
    answers.push(a);
    burned[CONTRACT_OF[a.route]] += a.micros;
    if (caughtUp) return a;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`the plan never showed the ledger's burn ${JSON.stringify(burned, (k, v) => String(v))}`);
}

function routeExplain(path, body) {
  const file = tempFile('request.json', JSON.stringify(body));
  return spawnSync(BIN, ['route', '-c', path, '--explain', file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
}

test('the contract furthest behind its pro-rata commitment gets the traffic, and the plan says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-burn-'));
  const path = join(dir, 'gw.yaml');
  writeFileSync(path, config(dir));

  // Before any gateway ran, the CLI has no ledger to read: it says so and plans on targets.
  const offline = routeExplain(path, BODY);
  assert.equal(offline.status, 0, offline.stderr);
  assert.match(offline.stdout, /^burn: unknown \(no ledger at .*burn\.db yet\); ordered as if nothing was burned$/m);
  assert.match(offline.stdout, /^x-tollbooth-plan: azure-east=commitment_burn\(big:\?\/0\.1\);openai=commitment_burn\(small:\?\/0\.03\)$/m);

  let gw = await startGateway(path);
  const answers = [];
  const burned = { big: 0n, small: 0n };
  try {
    // Nothing burned yet (read from the new, empty ledger at start): big is furthest behind.
    const first = await ask(gw);
    answers.push(first);
    burned.big += first.micros;
    assert.equal(first.route, 'azure-east');
    assert.deepEqual(first.plan.map((p) => [p.label, p.burned, p.target]),
      [['azure-east', 0n, 100_000n], ['openai', 0n, 30_000n]]);
    assert.ok(first.micros > 0n && first.micros < 10_000n, `a request costs a little: ${first.micros}`);

    // Requests flow until big's lead is burned away and small takes its turn.
    let switched = false;
    for (let i = 0; i < 400 && !switched; i++) {
      const a = await ask(gw);
      answers.push(a);
      burned[CONTRACT_OF[a.route]] += a.micros;
      switched = a.route === 'openai';
      if (!switched) await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(switched, 'openai served once azure-east was no longer furthest behind');
    // Then both stay near their schedules: each request goes to whichever is further behind.
    for (let i = 0; i < 12; i++) {
      answers.push(await ask(gw));
      burned[CONTRACT_OF[answers.at(-1).route]] += answers.at(-1).micros;
    }
    await askUntilBurnShows(gw, burned, answers);
    for (const a of answers) assertFurthestBehindServed(a);
    assert.ok(answers.some((a) => a.route === 'openai') && answers.some((a) => a.route === 'azure-east'));
  } finally {
    await stop(gw);  // SIGTERM: every row written
  }

  // The ledger agrees: `tollbooth contracts` shows the same burn per contract.
  const report = spawnSync(BIN, ['contracts', '-c', path, '--format', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(report.status, 0, report.stderr);
  const contracts = Object.fromEntries(JSON.parse(report.stdout).data.map((c) => [c.name, c.commitment]));
  for (const name of ['big', 'small']) {
    assert.equal(BigInt(contracts[name].burned_micros), burned[name], `${name} burned`);
    assert.equal(BigInt(contracts[name].target_micros), TARGET[name]);
  }

  // A restart starts from the ledger, not from zero: its first plan shows the burn so far.
  gw = await startGateway(path);
  try {
    const a = await ask(gw);
    assert.deepEqual(Object.fromEntries(a.plan.map((p) => [p.contract, p.burned])), burned);
    assertFurthestBehindServed(a);
    burned[CONTRACT_OF[a.route]] += a.micros;
  } finally {
    await stop(gw);
  }

  // Offline, route --explain reads the same store and says why, per route.
  const r = routeExplain(path, BODY);
  assert.equal(r.status, 0, r.stderr);
  const behind = { big: TARGET.big - burned.big, small: TARGET.small - burned.small };
  const usd = (micros) => {
    const neg = micros < 0n;
    const v = neg ? -micros : micros;
    const frac = String(v % 1_000_000n).padStart(6, '0').replace(/0+$/, '');
    return `${v / 1_000_000n}${frac ? `.${frac}` : ''}`;
  };
  const line = (name) => `      ${name} burned $${usd(burned[name])} of $${usd(TARGET[name])} due by ${TODAY}: `
    + `$${usd(behind[name])} ${behind[name] < 0n ? 'ahead' : 'behind'}`;
  const order = behind.big > behind.small ? ['big', 'small'] : ['small', 'big'];
  const lines = r.stdout.split('\n');
  assert.match(lines[1], /^burn: from the ledger in sqlite:.*burn\.db$/);
  assert.equal(lines[2], 'model gpt (strategy commitment_burn)');
  assert.match(lines[4], new RegExp(`^   1\\. ${ROUTE_OF[order[0]]} +eligible  commitment_burn  \\$100/\\$200 per Mtok in/out$`));
  assert.equal(lines[5], line(order[0]));
  assert.equal(lines[7], line(order[1]));
  assert.equal(lines[8], `x-tollbooth-plan: ${order.map((c) => `${ROUTE_OF[c]}=commitment_burn(${c}:${usd(burned[c])}/${usd(TARGET[c])})`).join(';')}`);
});

test('a gateway counts the burn of another gateway on the same store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-burn2-'));
  const path = join(dir, 'gw.yaml');
  writeFileSync(path, config(dir));
  const one = await startGateway(path);
  const two = await startGateway(path);
  try {
    // All traffic to the first gateway: it burns big's lead away.
    const burned = { big: 0n, small: 0n };
    const answers = [];
    for (let i = 0; i < 6; i++) {
      const a = await ask(one);
      answers.push(a);
      burned[CONTRACT_OF[a.route]] += a.micros;
    }
    await askUntilBurnShows(one, burned, answers);
    // The second gateway, which served nothing so far, routes by the same figures once it has
    // read the store again (after its own next batch).
    const seen = [];
    await askUntilBurnShows(two, burned, seen);
    for (const a of [...answers, ...seen]) assertFurthestBehindServed(a);
    assert.ok(seen.length >= 1);
  } finally {
    await stop(one);
    await stop(two);
  }
});
