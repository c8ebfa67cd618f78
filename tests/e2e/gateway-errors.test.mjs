// Gateway errors reach SDK users as the SDK's typed errors, with status, code and param intact,
// and a stream that breaks mid-way makes the SDK's iteration throw.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, {
  APIConnectionError, APIError, BadRequestError, InternalServerError, NotFoundError,
} from 'openai';
import { startStack, thrown } from './stack.mjs';

let s;
let client;
before(async () => {
  s = await startStack();
  client = s.client();
});
after(async () => { await s?.stop(); });

const ask = (content) => [{ role: 'user', content }];

test('unknown model is a NotFoundError (404, model_not_found, param model)', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'gpt-9', messages: ask('x') }));
  assert.ok(e instanceof NotFoundError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 404);
  assert.equal(e.code, 'model_not_found');
  assert.equal(e.param, 'model');
  assert.equal(e.type, 'invalid_request_error');
  assert.match(e.message, /gpt-9/);
});

test('models.retrieve() of an unknown id is a NotFoundError', async () => {
  const e = await thrown(() => client.models.retrieve('gpt-9'));
  assert.ok(e instanceof NotFoundError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 404);
});

test('missing messages is a BadRequestError (400) naming the param', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'gpt-4o' }));
  assert.ok(e instanceof BadRequestError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 400);
  assert.equal(e.param, 'messages');
  assert.equal(e.type, 'invalid_request_error');
});

test('a bad role is a BadRequestError naming the message at fault', async () => {
  const e = await thrown(() => client.chat.completions.create({
    model: 'gpt-4o', messages: [{ role: 'user', content: 'a' }, { role: 'robot', content: 'b' }],
  }));
  assert.ok(e instanceof BadRequestError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.param, 'messages[1].role');
});

test('all routes down is a 502 InternalServerError naming each attempt', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'all-down', messages: ask('x') }));
  assert.ok(e instanceof InternalServerError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 502);
  assert.equal(e.code, 'no_route_available');
  assert.match(e.message, /down: HTTP 503/);
  assert.match(e.message, /nowhere: connect/);
});

test('an overloaded upstream is an APIError 503 whose headers carry Retry-After', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'all-busy', messages: ask('x') }));
  assert.ok(e instanceof APIError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 503);
  assert.equal(e.headers.get('retry-after'), '7');
  assert.match(e.message, /busy: HTTP 429/);
});

test('a stream that breaks after it started makes SDK iteration throw an APIError with the in-band message', async () => {
  const { data: stream, response } = await client.chat.completions
    .create({ model: 'drops', messages: ask('break please'), stream: true })
    .withResponse();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollbooth-route'), 'dropper');
  let text = '';
  const e = await thrown(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  });
  assert.ok(e instanceof APIError, `got ${e.constructor.name}: ${e.message}`);
  assert.match(e.message, /dropper/);
  assert.match(e.message, /broke off/);
  assert.equal(e.error?.type, 'upstream_error');
  assert.ok(text.length > 0, 'the client saw the start of the answer before the break');
});

test('the stream() helper rejects finalChatCompletion() when the stream breaks', async () => {
  const helper = client.chat.completions.stream({ model: 'drops', messages: ask('break please') });
  helper.on('error', () => {}); // handled via the promise below
  const e = await thrown(() => helper.finalChatCompletion());
  assert.ok(e instanceof APIError, `got ${e.constructor.name}: ${e.message}`);
  assert.match(e.message, /dropper/);
});

test('an upstream 400 is a BadRequestError, retried neither by the SDK nor by the gateway', async () => {
  await s.clear();
  const retrying = s.client({ maxRetries: 2 });
  const e = await thrown(() => retrying.chat.completions.create({ model: 'client-error', messages: ask('x') }));
  assert.ok(e instanceof BadRequestError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.headers.get('x-tollbooth-route'), 'badreq');
  const ups = await s.requests();
  assert.equal(ups.length, 1, 'neither the SDK nor the gateway retried a client error');
});

test('a gateway that is not there is an APIConnectionError', async () => {
  const nowhere = new OpenAI({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'x', maxRetries: 0 });
  const e = await thrown(() => nowhere.models.list());
  assert.ok(e instanceof APIConnectionError, `got ${e.constructor.name}: ${e.message}`);
});

test('a 20 MB body over max_body_bytes is a 413 the SDK reads (not a connection error), every time', async () => {
  // The gateway answers before the upload ends; it keeps reading and discarding (a lingering
  // close) so the client is not reset mid-upload and always sees the answer.
  const big = 'x'.repeat(20 * 1024 * 1024);
  for (let i = 0; i < 5; i++) {
    const e = await thrown(() => client.chat.completions.create({ model: 'gpt-4o', messages: ask(big) }));
    assert.ok(e instanceof APIError && !(e instanceof APIConnectionError),
      `try ${i + 1}: got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, 413);
    assert.match(e.message, /max_body_bytes/);
  }
});
