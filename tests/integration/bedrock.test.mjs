// OpenAI chat requests routed to the mock AWS Bedrock: translated to Converse/ConverseStream,
// SigV4-signed (the mock verifies every signature), and translated back; Bedrock's failures
// move to the next route or reach the client in OpenAI shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
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

// A tiny PNG (1×1), served by a local image host for the fetch_images tests.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function imageHost() {
  const server = http.createServer((req, res) => {
    if (req.url === '/cat.png?size=1') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(PNG);
    } else if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html></html>');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const withImage = (url) => [{
  role: 'user',
  content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url } }],
}];

test('an http image URL is a 400 asking for a data: URL unless the route fetches images', async () => {
  const res = await chat(s.gw.url, { model: 'claude', messages: withImage('http://127.0.0.1:9/cat.png') });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.param, 'messages[0].content[1].image_url.url');
  assert.match(error.message, /data: URL/);
});

test('with fetch_images the gateway downloads the image and sends Bedrock its bytes', async () => {
  const host = await imageHost();
  try {
    const base = `http://127.0.0.1:${host.address().port}`;
    await s.clearMock();
    const res = await chat(s.gw.url, { model: 'claude-fetching', messages: withImage(`${base}/cat.png?size=1`) });
    assert.equal(res.status, 200);
    const sent = JSON.parse((await s.mockRequests()).at(-1).body);
    const image = sent.messages[0].content.find((b) => b.image).image;
    assert.equal(image.format, 'png', 'format sniffed from the bytes when the type is octet-stream');
    assert.equal(image.source.bytes, PNG.toString('base64'));

    for (const [path, why] of [['/missing.png', /HTTP 404/], ['/page.html', /not a png, jpeg, gif or webp/]]) {
      const bad = await chat(s.gw.url, { model: 'claude-fetching', messages: withImage(`${base}${path}`) });
      assert.equal(bad.status, 400);
      const { error } = await bad.json();
      assert.match(error.message, why);
      assert.ok(error.message.includes(`${base}${path}`), 'the error names the URL');
    }
  } finally { host.close(); }
});
