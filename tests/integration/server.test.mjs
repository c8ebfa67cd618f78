// The HTTP server itself: models list, health, graceful drain, and `tollbooth check`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { startStack, chat, stop, tempFile, BIN, MOCK_KEYS, gatewayConfig } from './harness.mjs';

test('models list and single model come from the config', async () => {
  const s = await startStack();
  try {
    const list = await (await fetch(`${s.gw.url}/v1/models`)).json();
    assert.equal(list.object, 'list');
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids.slice(0, 3), ['gpt-4o', 'gpt-4o-v1', 'direct']);
    assert.ok(list.data.every((m) => m.object === 'model' && Number.isInteger(m.created)));
    const one = await fetch(`${s.gw.url}/v1/models/gpt-4o`);
    assert.equal(one.status, 200);
    assert.equal((await one.json()).id, 'gpt-4o');
    const none = await fetch(`${s.gw.url}/v1/models/nope`);
    assert.equal(none.status, 404);
    assert.equal((await none.json()).error.code, 'model_not_found');
    assert.equal((await fetch(`${s.gw.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.gw.url}/readyz`)).status, 200);
  } finally { await s.stop(); }
});

test('SIGTERM drains: the in-flight stream finishes, new connections are refused, exit 0', async () => {
  const s = await startStack();
  try {
    const res = await chat(s.gw.url, { model: 'slow-stream', messages: [{ role: 'user', content: 'one two three four five six' }], stream: true });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    await reader.read();  // the stream has started
    const exited = stop(s.gw, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const refused = await new Promise((r) => {
      const sock = net.connect(s.gw.port, '127.0.0.1');
      sock.on('connect', () => { sock.destroy(); r(false); });
      sock.on('error', () => r(true));
    });
    assert.ok(refused, 'no new connections while draining');
    let text = '';
    const dec = new TextDecoder();
    for (;;) { const { done, value } = await reader.read(); if (done) break; text += dec.decode(value); }
    assert.match(text, /data: \[DONE\]/, 'the in-flight stream completed');
    assert.equal(await exited, 0);
  } finally { await s.stop(); }
});

test('check accepts a good config and explains every problem in a bad one', () => {
  const good = tempFile('good.yaml', gatewayConfig(4101));
  const ok = spawnSync(BIN, ['check', '-c', good], { env: { ...process.env, ...MOCK_KEYS }, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ok/);
  const bad = tempFile('bad.yaml', [
    'server:',
    '  listen: 127.0.0.1:4000',
    '  max_body_bytes: lots',
    'providers:',
    '  p1:',
    '    kind: azur',
    '    endpoint: https://x.openai.azure.com',
    '    api_key: env:TB_TEST_SURELY_UNSET',
    'models:',
    '  m:',
    '    routes:',
    '      - provider: nope',
    'budgets: {}',
    '',
  ].join('\n'));
  const r = spawnSync(BIN, ['check', '-c', bad], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${bad}:3:\\d+: .*max_body_bytes`));
  assert.match(r.stderr, /:6:\d+: .*kind.*openai, azure/);
  assert.match(r.stderr, /TB_TEST_SURELY_UNSET/);
  assert.match(r.stderr, /:12:\d+: .*nope/);
  assert.match(r.stderr, /:13:\d+: .*budgets/);
});

test('serve refuses to start on a bad config and says why', () => {
  const bad = tempFile('bad2.yaml', 'server:\n  listen: nowhere\nmodels: {}\n');
  const r = spawnSync(BIN, ['serve', '-c', bad], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /listen/);
});

test('serve refuses a bedrock provider without credentials, naming it and every source tried', () => {
  const cfg = tempFile('bedrock.yaml', [
    'providers:',
    '  bedrock-us:',
    '    kind: bedrock',
    '    region: us-east-1',
    'models:',
    '  claude:',
    '    routes:',
    '      - { provider: bedrock-us, model_id: "us.anthropic.claude-3-5-sonnet-20240620-v1:0" }',
    '',
  ].join('\n'));
  const ok = spawnSync(BIN, ['check', '-c', cfg], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  // No AWS variables and no credentials file: nothing to sign with.
  const env = { PATH: process.env.PATH, HOME: '/nonexistent' };
  const r = spawnSync(BIN, ['serve', '-c', cfg], { encoding: 'utf8', timeout: 10000, env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /provider bedrock-us: /);
  assert.match(r.stderr, /AWS_ACCESS_KEY_ID/);
  assert.match(r.stderr, /credentials/);
});
