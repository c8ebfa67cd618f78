// Chat completions through the real gateway to the mock clouds: what the client gets back, and
// exactly what the gateway sent upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chat, sseEvents } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

const hello = { role: 'user', content: 'hello from the test' };

test('non-stream request to an Azure deployment is served with route header and usage', async () => {
  await s.clearMock();
  const res = await chat(s.gw.url, { model: 'gpt-4o', messages: [hello] });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'azure-east');
  const body = await res.json();
  assert.match(body.choices[0].message.content, /azure-east says: hello from the test/);
  assert.ok(body.usage.prompt_tokens > 0 && body.usage.completion_tokens > 0);
  const again = await chat(s.gw.url, { model: 'gpt-4o', messages: [hello] });
  await again.text();
  assert.match(res.headers.get('x-request-id'), /^req_[0-9a-f]+_[0-9a-f]+_[0-9a-f]+$/);
  assert.notEqual(res.headers.get('x-request-id'), again.headers.get('x-request-id'));
  const [up] = await s.mockRequests();
  assert.equal(up.target, '/azure-east/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
  assert.equal(up.headers['api-key'], 'azure-mock-key');
  assert.equal(up.headers.authorization, undefined, 'client credentials must not reach the cloud');
  assert.equal(JSON.parse(up.body).model, 'gpt4o-prod');
});

test('Azure v1 URL form sends the deployment as model without api-version', async () => {
  await s.clearMock();
  const res = await chat(s.gw.url, { model: 'gpt-4o-v1', messages: [hello] });
  assert.equal(res.status, 200);
  const [up] = await s.mockRequests();
  assert.equal(up.target, '/azure-v1/openai/v1/chat/completions');
  assert.equal(JSON.parse(up.body).model, 'gpt4o-v1');
});

test('body bytes are forwarded unchanged when nothing needs splicing', async () => {
  await s.clearMock();
  const raw = '{ "model" : "direct", "messages":[{"role":"user","content":"héllo ✓"}],\n "temperature":0.25, "metadata":{"k":"v"}, "seed": 7 }';
  const res = await chat(s.gw.url, raw);
  assert.equal(res.status, 200);
  const [up] = await s.mockRequests();
  assert.equal(up.body, raw);
  assert.equal(up.headers.authorization, 'Bearer sk-mock-openai');
});

test('only model is spliced; every other field reaches the upstream unchanged', async () => {
  await s.clearMock();
  const req = { model: 'fallback-503', messages: [hello], temperature: 0.3, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }], user: 'u1' };
  const res = await chat(s.gw.url, req);
  assert.equal(res.status, 200);
  const ups = await s.mockRequests();
  const sent = JSON.parse(ups.at(-1).body);
  assert.deepEqual(sent, { ...req, model: 'gpt-4o-mini' });
});

test('streaming relays chunks, reassembles to the non-stream text, and hides the forced usage chunk', async () => {
  await s.clearMock();
  const plain = await (await chat(s.gw.url, { model: 'direct', messages: [hello] })).json();
  const res = await chat(s.gw.url, { model: 'direct', messages: [hello], stream: true });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = await sseEvents(res);
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1);
  assert.ok(chunks.every((c) => c.choices.length > 0), 'no usage-only chunk when the client did not ask');
  const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
  assert.equal(text, plain.choices[0].message.content);
  const up = JSON.parse((await s.mockRequests()).at(-1).body);
  assert.equal(up.stream_options.include_usage, true, 'the gateway always meters streams');
});

test('streaming with include_usage passes the usage chunk to the client', async () => {
  const res = await chat(s.gw.url, { model: 'direct', messages: [hello], stream: true, stream_options: { include_usage: true } });
  const events = await sseEvents(res);
  const usage = events.find((e) => typeof e === 'object' && e.choices.length === 0);
  assert.ok(usage?.usage?.total_tokens > 0);
  assert.equal(events.at(-1), '[DONE]');
});

test('Azure streams lose their empty prompt-filter prelude chunk', async () => {
  const res = await chat(s.gw.url, { model: 'gpt-4o', messages: [hello], stream: true });
  assert.equal(res.headers.get('x-tollbooth-route'), 'azure-east');
  const events = await sseEvents(res);
  const chunks = events.filter((e) => typeof e === 'object');
  assert.ok(chunks.length > 1);
  assert.ok(chunks.every((c) => c.id !== '' && c.choices.length > 0));
  assert.equal(events.at(-1), '[DONE]');
});
