// The log as a log shipper reads it: with stderr a pipe and no TOLLBOOTH_LOG_FORMAT, every line
// is one JSON object; each request's line names its id (the x-request-id answered), the key's
// id (never its secret), team, model, route, status, tokens, charge and times; no prompt, no
// answer, no secret ever reaches it. TOLLBOOTH_LOG_FORMAT=text gives the readable line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS, gatewayConfig } from './harness.mjs';

const SECRET = 'tk-' + 'L'.repeat(43);
const PROMPT = 'the launch codes are 0000';
let mock;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
});
after(async () => { await stop(mock); });

async function gateway(format) {
  const config = gatewayConfig(mock.port)
    .replace('auth: none', `auth: keys
teams: { platform: {} }
keys: { app: { secret: env:TB_APP_KEY, team: platform } }
prices:
  - { provider: openai, model: fallback-503, input_per_mtok: 1, output_per_mtok: 2 }`);
  // An empty TOLLBOOTH_LOG_FORMAT is the default: JSON, stderr being a pipe.
  return startProcess(['serve', '-c', tempFile('gw.yaml', config)],
    { env: { ...MOCK_KEYS, TB_APP_KEY: SECRET, TOLLBOOTH_LOG_FORMAT: format }, prefix: 'tollbooth' });
}

async function traffic(gw) {
  const ok = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-request-id': 'trace-42:a.b_c' },
    body: JSON.stringify({ model: 'fallback-503', messages: [{ role: 'user', content: PROMPT }] }),
  });
  assert.equal(ok.status, 200);
  const answer = (await ok.json()).choices[0].message.content;
  const bad = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer tk-wrong', 'x-request-id': 'not usable; has spaces' },
    body: JSON.stringify({ model: 'mo"del\n', messages: [] }),
  });
  assert.equal(bad.status, 401);
  await bad.arrayBuffer();
  assert.equal(ok.headers.get('x-request-id'), 'trace-42:a.b_c', 'the client\'s id is answered back');
  assert.match(bad.headers.get('x-request-id'), /^req_/, 'an unusable one is replaced by the gateway\'s');
  return { clientId: 'trace-42:a.b_c', answer };
}

test('JSON by default into a pipe: one object a line, the request named, nothing secret', async () => {
  const gw = await gateway('');
  let sent;
  try {
    sent = await traffic(gw);
  } finally {
    await stop(gw);
  }
  const text = gw.stderr();
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));  // throws on any other line
  for (const l of lines) {
    assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['info', 'warning', 'error', 'debug'].includes(l.level), l.level);
  }
  const served = lines.find((l) => l.msg === 'request' && l.client_request_id === sent.clientId);
  assert.ok(served, `a line for ${sent.clientId}`);
  assert.match(served.request_id, /^req_/, 'the gateway\'s own id beside it (the ledger\'s)');
  assert.equal(served.status, 200);
  assert.equal(served.key, 'app', 'the key\'s id');
  assert.equal(served.team, 'platform');
  assert.equal(served.model, 'fallback-503');
  assert.equal(served.route, 'openai');
  assert.equal(served.attempts, 2);
  assert.equal(served.failed.length, 1);
  assert.equal(served.failed[0].provider, 'down');
  assert.ok(served.input_tokens > 0 && served.output_tokens > 0);
  assert.equal(typeof served.charge_micros, 'number');
  assert.ok(served.duration_us >= served.upstream_ttfb_us && served.upstream_ttfb_us > 0);
  assert.match(served.plan, /down=ordered/);
  const refused = lines.find((l) => l.msg === 'request' && l.status === 401);
  assert.ok(refused, 'the refused request has its line too');
  assert.equal(refused.key, null);
  assert.equal(refused.client_request_id, null);
  assert.ok(!text.includes(PROMPT), 'no prompt in the log');
  assert.ok(!text.includes(sent.answer), 'no answer in the log');
  assert.ok(!text.includes(SECRET) && !text.includes('tk-wrong'), 'no key secret in the log');
});

test('TOLLBOOTH_LOG_FORMAT=text: the readable line', async () => {
  const gw = await gateway('text');
  let sent;
  try {
    sent = await traffic(gw);
  } finally {
    await stop(gw);
  }
  const line = gw.stderr().split('\n').find((l) => l.includes(sent.clientId));
  assert.match(line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[tollbooth\] \[info\] req_\S+ POST \/v1\/chat\/completions 200 client_id=trace-42:a\.b_c key=app model=fallback-503 route=openai /);
  assert.ok(!gw.stderr().includes(PROMPT));
});
