// The Responses API through the gateway, as the official OpenAI SDK uses it: create and stream
// on OpenAI and on Azure (both URL forms), the answer and its usage as the cloud gave them, the
// ledger-relevant usage read, a stream the upstream breaks ending in response.failed, Bedrock
// through the Converse translation, and the WebSocket upgrade Codex CLI tries first refused with 426.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, thrown, withChatOnlyProvider } from './stack.mjs';

let s;
let client;
before(async () => {
  // chat-only: the mock OpenAI cloud, reached as a server without the Responses API.
  s = await startStack(`  chat-only:
    routes: [{ provider: chat-only }]
`, withChatOnlyProvider);
  client = s.client();
});
after(async () => { await s?.stop(); });

test('responses.create on OpenAI: output_text, usage, and the request the cloud saw', async () => {
  await s.clear();
  const { data, response } = await client.responses
    .create({ model: 'direct', input: 'hello from responses', instructions: 'be brief' })
    .withResponse();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollbooth-route'), 'openai');
  assert.equal(data.object, 'response');
  assert.equal(data.status, 'completed');
  assert.equal(data.output_text, 'openai says: hello from responses');
  // The mock counts words (docs/mock.md): instructions 2 + 3, the input 3 + 3; 5 answer words.
  assert.equal(data.usage.input_tokens, 11);
  assert.equal(data.usage.output_tokens, 5);
  assert.equal(data.usage.total_tokens, 16);
  const [up] = await s.requests();
  assert.equal(up.target, '/openai/v1/responses');
  assert.equal(up.headers.authorization, 'Bearer sk-mock-openai', 'the cloud sees the configured key');
  const sent = JSON.parse(up.body);
  assert.equal(sent.model, 'direct', 'a route without an upstream model sends the client\'s');
  assert.equal(sent.instructions, 'be brief');
});

test('Codex\'s session headers reach an OpenAI upstream; nothing else of the client\'s head does', async () => {
  await s.clear();
  await client.responses.create({ model: 'direct', input: 'hi' }, {
    headers: { session_id: 'sess-1', 'thread-id': 'th-1', originator: 'codex_exec', 'x-codex-window-id': 'w-1', 'x-private': 'no' },
  });
  const [up] = await s.requests();
  assert.equal(up.headers.session_id, 'sess-1');
  assert.equal(up.headers['thread-id'], 'th-1');
  assert.equal(up.headers.originator, 'codex_exec');
  assert.equal(up.headers['x-codex-window-id'], 'w-1');
  assert.equal(up.headers['x-private'], undefined);
  assert.equal(up.headers.authorization, 'Bearer sk-mock-openai', 'the client\'s key never goes up');
});

test('responses.stream: the event sequence, the same text, usage in response.completed', async () => {
  const plain = await client.responses.create({ model: 'direct', input: 'count these words please' });
  const stream = client.responses.stream({ model: 'direct', input: 'count these words please' });
  const types = [];
  let last = -1;
  for await (const event of stream) {
    types.push(event.type);
    assert.ok(event.sequence_number > last, 'sequence numbers increase');
    last = event.sequence_number;
  }
  const final = await stream.finalResponse();
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
  assert.equal(types.filter((t) => t === 'response.completed').length, 1);
  assert.ok(types.includes('response.output_item.added') && types.includes('response.output_item.done'));
  assert.ok(types.filter((t) => t === 'response.output_text.delta').length > 1);
  assert.equal(final.output_text, plain.output_text);
  assert.deepEqual(final.usage, plain.usage);
});

test('Azure: the deployment as the model, on the classic form with api-version and on v1', async () => {
  for (const [model, target, deployment] of [
    ['gpt-4o', '/azure-east/openai/responses?api-version=2024-10-21', 'gpt4o-prod'],
    ['gpt-4o-v1', '/azure-v1/openai/v1/responses', 'gpt4o-v1'],
  ]) {
    await s.clear();
    const r = await client.responses.create({ model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'hello azure' }] }] });
    assert.match(r.output_text, /says: hello azure$/, model);
    assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0, model);
    const [up] = await s.requests();
    assert.equal(up.target, target, model);
    assert.ok(up.headers['api-key'], `${model}: Azure gets its api-key`);
    assert.equal(JSON.parse(up.body).model, deployment, model);
    const streamed = client.responses.stream({ model, input: 'stream from azure' });
    const final = await streamed.finalResponse();
    assert.match(final.output_text, /says: stream from azure$/, model);
  }
});

test('a stream the upstream breaks ends with response.failed, the terminal event Codex waits for', async () => {
  const stream = await client.responses.create({ model: 'drops', input: 'one two three four five six', stream: true });
  const events = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (e) {
    events.push({ type: 'thrown', message: String(e) });
  }
  const failed = events.filter((e) => e.type === 'response.failed');
  assert.equal(failed.length, 1, JSON.stringify(events.map((e) => e.type)));
  assert.equal(events.at(-1).type, 'response.failed');
  assert.equal(failed[0].response.status, 'failed');
  assert.ok(failed[0].response.error.message.length > 0);
  assert.ok(failed[0].sequence_number > events.at(-2).sequence_number, 'after the last relayed event');
  assert.ok(!events.some((e) => e.type === 'response.completed'));
});

test('Bedrock: translated through Converse, create and stream give the same text and usage', async () => {
  await s.clear();
  const plain = await client.responses.create({ model: 'claude', input: 'hello bedrock responses', instructions: 'be brief' });
  assert.equal(plain.status, 'completed');
  assert.equal(plain.output_text, 'bedrock says: hello bedrock responses');
  assert.ok(plain.usage.input_tokens > 0 && plain.usage.output_tokens > 0);
  assert.equal(plain.usage.total_tokens, plain.usage.input_tokens + plain.usage.output_tokens);
  const [up] = await s.requests();
  assert.match(up.target, /^\/bedrock\/model\/.*\/converse$/);
  const sent = JSON.parse(up.body);
  assert.deepEqual(sent.system, [{ text: 'be brief' }], 'instructions become the system prompt');
  assert.deepEqual(sent.messages, [{ role: 'user', content: [{ text: 'hello bedrock responses' }] }]);

  const stream = client.responses.stream({ model: 'claude', input: 'hello bedrock responses' });
  const types = [];
  let last = -1;
  for await (const event of stream) {
    types.push(event.type);
    assert.ok(event.sequence_number > last);
    last = event.sequence_number;
  }
  const final = await stream.finalResponse();
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
  assert.equal(final.output_text, plain.output_text);
  assert.equal(final.usage.output_tokens, plain.usage.output_tokens);
});

test('a chat-only OpenAI-compatible server (responses: chat): bridged to chat completions and back', async () => {
  await s.clear();
  const r = await client.responses.create({ model: 'chat-only', input: 'hello chat only', instructions: 'be brief' });
  assert.equal(r.output_text, 'openai says: hello chat only');
  assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
  const [up] = await s.requests();
  assert.equal(up.target, '/openai/v1/chat/completions');
  const sent = JSON.parse(up.body);
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello chat only' }]);
  const final = await client.responses.stream({ model: 'chat-only', input: 'hello chat only' }).finalResponse();
  assert.equal(final.output_text, r.output_text);
  assert.equal(final.status, 'completed');
});

test('Bedrock: a built-in tool is a 400 naming the tool and the route', async () => {
  const e = await thrown(() => client.responses.create({
    model: 'claude', input: 'search', tools: [{ type: 'web_search' }],
  }));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'tools[0].type');
  assert.match(e.message, /web_search.*bedrock-us/);
});

test('bad bodies get OpenAI-shaped 400s naming the field', async () => {
  let e = await thrown(() => client.responses.create({ model: 'direct', input: 42 }));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'input');
  e = await thrown(() => client.responses.create({ input: 'no model' }));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'model');
});

function getUpgrade(path) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${s.gw.url}${path}`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('upgrade', (res) => resolve({ status: res.statusCode, upgraded: true }));
    req.on('error', reject);
    req.end();
  });
}

test('a WebSocket upgrade on GET /v1/responses is refused with 426, so Codex uses HTTP at once', async () => {
  const r = await getUpgrade('/v1/responses');
  assert.equal(r.status, 426);
  const body = JSON.parse(r.body);
  assert.equal(body.error.code, 'websocket_not_supported');
  assert.match(body.error.message, /POST \/v1\/responses/);
});

test('reasoning items reach the cloud the request went to, never another one after a fallback', async () => {
  const input = [
    { type: 'message', role: 'user', content: 'think first' },
    { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA-made-by-one-organisation' },
    { type: 'message', role: 'user', content: 'now answer' },
  ];
  await s.clear();
  await client.responses.create({ model: 'direct', input });
  let [up] = await s.requests();
  assert.equal(JSON.parse(up.body).input[1].encrypted_content, 'gAAAA-made-by-one-organisation');

  // fallback-503: the first route answers 503, and the next provider gets the request without
  // the first one's reasoning.
  await s.clear();
  const { response } = await client.responses.create({ model: 'fallback-503', input }).withResponse();
  assert.equal(response.headers.get('x-tollbooth-route'), 'openai');
  const seen = await s.requests();
  assert.equal(seen.length, 2);
  assert.equal(JSON.parse(seen[0].body).input.length, 3, 'the first provider got every item');
  const sent = JSON.parse(seen[1].body).input;
  assert.deepEqual(sent.map((i) => i.type), ['message', 'message']);
  assert.ok(!seen[1].body.includes('encrypted_content'));
});
