// Prices through the real binary: a dated price change seen by `route --explain` and `models`
// on each side of its day, the bundled price file pricing a route the config does not, and
// `billing.unpriced`: refuse (the default) keeps an unpriced route out and says why, allow
// serves it. `check` reads a replacement price file and warns about unpriced routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  BIN, startProcess, stop, tempFile, chat, MOCK_CLOUDS, MOCK_KEYS,
} from './harness.mjs';

const ADMIN = 'prices-admin-key';
const ASK = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });

function run(args, env = {}) {
  return spawnSync(BIN, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
}

// house-model: no price anywhere (the bundled file does not know it); gpt-4o-mini: the bundled
// file's OpenAI price; gpt-5: the config's, with a price cut on 2027-06-01.
function config(m, billing = '') {
  return `
server: { listen: 127.0.0.1:0, workers: 1, admin_key: ${ADMIN}, drain_timeout: 0s }
auth: none
${billing}
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
models:
  gpt-5: { routes: [ { provider: openai } ] }
  gpt-4o-mini: { routes: [ { provider: openai } ] }
  house-model: { routes: [ { provider: openai } ] }
prices:
  - { provider: openai, model: gpt-5, input_per_mtok: 1.25, output_per_mtok: 10 }
  - { provider: openai, model: gpt-5, effective_from: 2027-06-01, input_per_mtok: 1, output_per_mtok: 8 }
`;
}

test('a price change dated T leaves requests before T at the old price', () => {
  const cfg = tempFile('dated.yaml', config('http://127.0.0.1:9'));
  const body = tempFile('ask.json', ASK);
  const explain = (at) => run(['route', '-c', cfg, '--explain', body, '--at', at]);

  const before = explain('2027-05-31');
  assert.equal(before.status, 0, before.stderr);
  assert.match(before.stdout, /1\. openai {2}eligible {2}ordered {2}\$1\.25\/\$10 per Mtok in\/out\n/);

  const on = explain('2027-06-01');
  assert.equal(on.status, 0, on.stderr);
  assert.match(on.stdout, /1\. openai {2}eligible {2}ordered {2}\$1\/\$8 per Mtok in\/out from 2027-06-01\n/);

  // `models` shows the same price in force on each side, and the history behind it.
  const facts = (at) => JSON.parse(run(['models', '-c', cfg, '--json', '--at', at]).stdout);
  const early = facts('2027-05-31')['gpt-5'].routes[0];
  assert.equal(early.price_usd.input_per_mtok, '1.25');
  assert.equal(early.price_usd.effective_from, null);
  assert.match(early.price_usd.source, /^config .*dated\.yaml:12$/);
  assert.deepEqual(early.price_history.map((p) => p.effective_from), [null, '2027-06-01']);
  assert.equal(facts('2027-06-01')['gpt-5'].routes[0].price_usd.input_per_mtok, '1');
  const text = run(['models', '-c', cfg, '--at', '2027-05-31']).stdout;
  assert.match(text, /then from 2027-06-01: \$1\/\$8 per Mtok in\/out/);
});

test('the bundled price file prices a route the config does not; an unpriced one is refused by default', () => {
  const cfg = tempFile('refuse.yaml', config('http://127.0.0.1:9'));
  const ask = (model) => tempFile('ask.json', JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }));

  const bundled = run(['route', '-c', cfg, '--explain', ask('gpt-4o-mini'), '--at', '2026-12-01']);
  assert.equal(bundled.status, 0, bundled.stderr);
  assert.match(bundled.stdout, /\$0\.15\/\$0\.6 per Mtok in\/out from 2024-07-18/);

  const unpriced = run(['route', '-c', cfg, '--explain', ask('house-model'), '--at', '2026-12-01']);
  assert.equal(unpriced.status, 3);  // no eligible route
  assert.match(unpriced.stdout, /openai {2}skipped {3}unpriced on 2026-12-01: neither prices: nor the price file has a price for openai house-model \(billing\.unpriced: refuse\)/);
  assert.match(unpriced.stdout, /no eligible route: 503 no_priced_route/);
  assert.match(unpriced.stdout, /x-tollbooth-plan: openai=skip:unpriced\(house-model\)/);

  // check says which routes will not be used, and still passes.
  const checked = run(['check', '-c', cfg], MOCK_KEYS);
  assert.equal(checked.status, 0, checked.stderr);
  assert.match(checked.stderr, /warning: model house-model, route 1 \(openai\): no price in force on \d{4}-\d\d-\d\d; it is not used \(billing\.unpriced: refuse\)/);
  assert.doesNotMatch(checked.stderr, /gpt-4o-mini|gpt-5/);
});

test('billing.price_catalog replaces the bundled file; its problems are reported with their lines', () => {
  const file = tempFile('prices.yaml', `version: 2026-12-01
prices:
  - { kind: openai, model: house-model, effective_from: 2026-01-01, input_per_mtok: 0.5, output_per_mtok: 1.5, source: "our contract, read 2026-12-01" }
`);
  const cfg = tempFile('replaced.yaml', config('http://127.0.0.1:9', `billing: { price_catalog: ${file} }`));
  const ask = (model) => tempFile('ask.json', JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }));
  const house = run(['route', '-c', cfg, '--explain', ask('house-model'), '--at', '2026-12-01']);
  assert.equal(house.status, 0, house.stderr);
  assert.match(house.stdout, /\$0\.5\/\$1\.5 per Mtok in\/out from 2026-01-01/);
  // The bundled file no longer applies.
  const mini = run(['route', '-c', cfg, '--explain', ask('gpt-4o-mini'), '--at', '2026-12-01']);
  assert.equal(mini.status, 3);

  const broken = tempFile('broken.yaml', `version: 2026-12-01
prices:
  - { kind: openai, model: house-model, effective_from: 2026-01-01, input_per_mtok: cheap, output_per_mtok: 1.5, source: x }
`);
  const badCfg = tempFile('bad.yaml', config('http://127.0.0.1:9', `billing: { price_catalog: ${broken} }`));
  const checked = run(['check', '-c', badCfg], MOCK_KEYS);
  assert.equal(checked.status, 1);
  assert.match(checked.stderr, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:\\d+: prices\\[0\\]\\.input_per_mtok: "cheap" is not a plain decimal number`));
});

let mock;
before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
});
after(async () => { await stop(mock); });

async function gateway(billing) {
  return startProcess(['serve', '-c', tempFile('gw.yaml', config(mock.url, billing))],
    { env: MOCK_KEYS, prefix: 'tollbooth' });
}

test('the gateway refuses a model with no priced route plainly, and serves it with unpriced: allow', async () => {
  let gw = await gateway('');
  try {
    const refused = await chat(gw.url, { model: 'house-model', messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${ADMIN}` });
    assert.equal(refused.status, 503);
    assert.match(refused.headers.get('x-tollbooth-plan'), /^openai=skip:unpriced\(house-model\)$/);
    const { error } = await refused.json();
    assert.equal(error.code, 'no_priced_route');
    assert.match(error.message, /model `house-model` has no route with a price in force, and billing\.unpriced is refuse/);
    // A priced model on the same gateway is served.
    const priced = await chat(gw.url, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(priced.status, 200);
  } finally { await stop(gw); }

  gw = await gateway('billing: { unpriced: allow }');
  try {
    const served = await chat(gw.url, { model: 'house-model', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(served.status, 200);
  } finally { await stop(gw); }
});
