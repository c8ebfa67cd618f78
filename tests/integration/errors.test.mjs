// Bad input and unknown things get OpenAI-shaped errors with the right status, and the server
// stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chat } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

async function expectError(res, status, { type, param, code, message } = {}) {
  assert.equal(res.status, status);
  const body = await res.json();
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  if (type) assert.equal(body.error.type, type);
  if (param !== undefined) assert.equal(body.error.param, param);
  if (code !== undefined) assert.equal(body.error.code, code);
  if (message) assert.match(body.error.message, message);
  return body.error;
}

test('malformed JSON is a 400 invalid_request_error', async () => {
  await expectError(await chat(s.gw.url, '{"model": "gpt-4o", "messages": ['), 400,
    { type: 'invalid_request_error', message: /JSON/i });
});

test('missing messages names the param', async () => {
  await expectError(await chat(s.gw.url, { model: 'gpt-4o' }), 400, { param: 'messages' });
});

test('a bad role names the message at fault', async () => {
  await expectError(await chat(s.gw.url, { model: 'gpt-4o', messages: [{ role: 'user', content: 'a' }, { role: 'robot', content: 'b' }] }), 400,
    { param: 'messages[1].role' });
});

test('unknown model is 404 model_not_found', async () => {
  await expectError(await chat(s.gw.url, { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }), 404,
    { code: 'model_not_found', param: 'model', message: /gpt-9/ });
});

test('a body over max_body_bytes is 413 naming the limit', async () => {
  const big = 'x'.repeat(70 * 1024);
  await expectError(await chat(s.gw.url, { model: 'gpt-4o', messages: [{ role: 'user', content: big }] }), 413,
    { message: /max_body_bytes/ });
});

test('request headers over the limit get 431 naming max_header_bytes', async () => {
  const res = await chat(s.gw.url, { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { 'x-big': 'y'.repeat(20000) });
  await expectError(res, 431, { message: /max_header_bytes/ });
});

test('wrong method is 405 and unknown path is 404', async () => {
  const r1 = await fetch(`${s.gw.url}/v1/chat/completions`);
  await expectError(r1, 405);
  const r2 = await fetch(`${s.gw.url}/v1/nothing-here`);
  await expectError(r2, 404);
});

test('the server stays up after a burst of bad requests', async () => {
  await Promise.all(Array.from({ length: 20 }, () => chat(s.gw.url, 'not json').then((r) => r.text())));
  const ok = await chat(s.gw.url, { model: 'direct', messages: [{ role: 'user', content: 'still there?' }] });
  assert.equal(ok.status, 200);
});

test('a model name with a newline cannot forge an access-log line', async () => {
  const res = await chat(s.gw.url, { model: 'nope\n[info] forged line', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.status, 404);
  await new Promise((r) => setTimeout(r, 100));
  assert.doesNotMatch(s.gw.stderr(), /\n\[info\] forged line/);
  assert.match(s.gw.stderr(), /model=nope\\n\[info\] forged line/, 'the newline is shown escaped');
});
