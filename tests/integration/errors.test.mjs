// Bad input and unknown things get OpenAI-shaped errors with the right status, and the server
// stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startStack, chat, eventually } from './harness.mjs';

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

// Compressed request bodies (Codex CLI sends zstd): decoded for every endpoint, the decoded
// size held to max_body_bytes (64 KiB in this stack).
const postEncoded = (body, encoding) => fetch(`${s.gw.url}/v1/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer client-key', 'content-encoding': encoding },
  body,
});

test('a gzip or zstd body is decoded: the upstream gets the JSON', async () => {
  const json = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'sent as gzip' }] });
  for (const [encoding, body, text] of [
    ['gzip', gzipSync(json), 'sent as gzip'],
    // {"model":"gpt-4o","messages":[{"role":"user","content":"sent as zstd"}]}, level 3 (Node
    // 20's zlib has no zstd).
    ['zstd', Buffer.from('KLUv/SBIFQIAgoQPF6ClGgOgjl8Q8MJKKL9j/Q9FiuPL/QsTrWib1cHQMlahfq/CVQmYvFAF34hyzYhb8RRVTJNzEDZwvhGaTLMA', 'base64'), 'sent as zstd'],
  ]) {
    await s.clearMock();
    const res = await postEncoded(body, encoding);
    assert.equal(res.status, 200, encoding);
    await res.json();
    const [up] = await s.mockRequests();
    assert.equal(JSON.parse(up.body).messages[0].content, text, encoding);
    assert.equal(up.headers['content-encoding'], undefined, 'the upstream gets plain JSON');
  }
});

test('a compressed body that decodes past max_body_bytes is a 413, and the server stays up', async () => {
  const bomb = gzipSync(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a'.repeat(8 << 20) }] }));
  assert.ok(bomb.length < 64 * 1024, 'small on the wire');
  await expectError(await postEncoded(bomb, 'gzip'), 413,
    { type: 'invalid_request_error', message: /max_body_bytes \(65536 bytes\) once decoded \(Content-Encoding: gzip\)/ });
  const ok = await chat(s.gw.url, { model: 'gpt-4o', messages: [{ role: 'user', content: 'still here' }] });
  assert.equal(ok.status, 200);
});

test('an unknown Content-Encoding is a 415 naming the codings served; broken data a 400', async () => {
  await expectError(await postEncoded('{}', 'br'), 415,
    { code: 'unsupported_content_encoding', message: /'br' is not supported .*gzip, x-gzip, deflate, zstd/ });
  await expectError(await postEncoded('{"model": "gpt-4o"}', 'gzip'), 400,
    { type: 'invalid_request_error', message: /not valid gzip data/ });
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
  // The access line is written a moment after the answer.
  await eventually(async () =>
    assert.match(s.gw.stderr(), /model=nope\\n\[info\] forged line/, 'the newline is shown escaped'));
  assert.doesNotMatch(s.gw.stderr(), /\n\[info\] forged line/);
});
