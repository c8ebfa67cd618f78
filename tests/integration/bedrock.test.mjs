// OpenAI chat requests routed to the mock AWS Bedrock: translated to Converse/ConverseStream,
// SigV4-signed (the mock verifies every signature), and translated back; Bedrock's failures
// move to the next route or reach the client in OpenAI shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chat, sseEvents } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

const ask = (content) => [{ role: 'user', content }];

test('a chat request reaches Bedrock as a signed Converse call and comes back as chat.completion', async () => {
  await s.clearMock();
  const res = await chat(s.gw.url, { model: 'claude', messages: ask('hello bedrock'), max_tokens: 64 });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'bedrock-us');
  const body = await res.json();
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'claude', 'the answer names the model the client asked for');
  assert.equal(body.choices[0].message.content, 'bedrock says: hello bedrock');
  assert.equal(body.choices[0].finish_reason, 'stop');
  assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
  const [up] = await s.mockRequests();
  // The model id is percent-encoded in the path (':' as %3A), as Bedrock requires.
  assert.equal(up.target, '/bedrock/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
  assert.match(up.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDMOCKEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
  const sent = JSON.parse(up.body);
  assert.deepEqual(sent.messages, [{ role: 'user', content: [{ text: 'hello bedrock' }] }]);
  assert.equal(sent.inferenceConfig.maxTokens, 64);
});

test('a stream arrives as OpenAI chunks, with the usage chunk when asked, then [DONE]', async () => {
  const res = await chat(s.gw.url, {
    model: 'claude', stream: true, stream_options: { include_usage: true }, messages: ask('one two three'),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = await sseEvents(res);
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, 'bedrock says: one two three');
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.ok(chunks.at(-1).usage.completion_tokens > 0);
  const [up] = (await s.mockRequests()).slice(-1);
  assert.match(up.target, /\/converse-stream$/);
});

test('a Bedrock API key is sent as a bearer token instead of a signature', async () => {
  await s.clearMock();
  const res = await chat(s.gw.url, { model: 'claude-apikey', messages: ask('hi') });
  assert.equal(res.status, 200);
  const [up] = await s.mockRequests();
  assert.equal(up.headers.authorization, 'Bearer bedrock-api-key-mock');
});

test('a parameter Bedrock cannot honour is a 400 naming it, or dropped with drop_unsupported', async () => {
  let res = await chat(s.gw.url, { model: 'claude', messages: ask('hi'), logprobs: true });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.param, 'logprobs');
  assert.equal(error.type, 'invalid_request_error');
  res = await chat(s.gw.url, { model: 'claude-lenient', messages: ask('hi'), logprobs: true });
  assert.equal(res.status, 200);
});

test('temperature above 1 is refused with the limit named', async () => {
  const res = await chat(s.gw.url, { model: 'claude', messages: ask('hi'), temperature: 1.7 });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.param, 'temperature');
  assert.match(error.message, /between 0 and 1/);
});

test('Bedrock throttling (429) falls back to the next route', async () => {
  const res = await chat(s.gw.url, { model: 'bedrock-then-openai', messages: ask('hi') });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
});

test('a signature Bedrock rejects (403) moves on without leaking the secret', async () => {
  const res = await chat(s.gw.url, { model: 'bedrock-bad-creds', messages: ask('hi') });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'bedrock-us');
  const only = await chat(s.gw.url, { model: 'bedrock-bad-creds-only', messages: ask('hi') });
  assert.equal(only.status, 502);
  const text = await only.text();
  assert.match(text, /bedrock-wrong-secret/);
  assert.doesNotMatch(text, /not-the-secret|mock\/secret|AKIDMOCK/);
});

test('a Bedrock validation error is the client\'s: 400 in OpenAI shape, no fallback', async () => {
  // A conversation that opens with the assistant translates, but Bedrock refuses it.
  const res = await chat(s.gw.url, { model: 'claude', messages: [{ role: 'assistant', content: 'I start' }] });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.type, 'invalid_request_error');
  assert.ok(error.message.length > 0);
  assert.equal(res.headers.get('x-tollbooth-route'), 'bedrock-us');
});

test('an exception after the stream started is reported in-band, without [DONE] and without fallback', async () => {
  const res = await chat(s.gw.url, { model: 'bedrock-late-fail', stream: true, messages: ask('hi') });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'bedrock-late-throttle');
  const events = await sseEvents(res);
  assert.notEqual(events.at(-1), '[DONE]');
  const last = events.at(-1);
  assert.equal(last.error.type, 'rate_limit_error');
});

test('a Bedrock stream that breaks off mid-answer ends with an in-band error', async () => {
  const res = await chat(s.gw.url, { model: 'bedrock-drops', stream: true, messages: ask('a b c d e f g') });
  assert.equal(res.status, 200);
  const events = await sseEvents(res);
  assert.notEqual(events.at(-1), '[DONE]');
  assert.ok(events.at(-1).error, 'the last event is an error');
});
