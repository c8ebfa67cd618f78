// The mock Azure cloud is a faithful Azure OpenAI: the official AzureOpenAI client (and the plain
// OpenAI client on Azure's v1 URL form) talk to it directly, without the gateway, and get what
// they would get from Azure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI, AuthenticationError, NotFoundError } from 'openai';
import { startMock, thrown, MOCK_KEYS } from './stack.mjs';

const KEY = MOCK_KEYS.MOCK_AZURE_KEY;
const API_VERSION = '2024-10-21';

let m;
before(async () => { m = await startMock(); });
after(async () => { await m?.stop(); });

const ask = (content) => [{ role: 'user', content }];
const azure = (opts = {}) => new AzureOpenAI({
  endpoint: `${m.mock.url}/azure-east`, apiKey: KEY, apiVersion: API_VERSION, deployment: 'gpt4o-prod',
  maxRetries: 0, ...opts,
});

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('') };
}

test('AzureOpenAI create(): answer, usage, and the request the cloud saw', async () => {
  await m.clear();
  const r = await azure().chat.completions.create({ model: 'gpt-4o', messages: ask('hello azure') });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.content, 'azure-east says: hello azure');
  assert.equal(r.model, 'gpt-4o-2024-08-06', 'Azure reports the deployment\'s model version');
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.ok(Array.isArray(r.prompt_filter_results), 'Azure adds prompt_filter_results');
  assert.ok(r.choices[0].content_filter_results, 'Azure adds content_filter_results');

  const [up] = await m.requests();
  assert.equal(up.cloud, 'azure-east');
  assert.equal(up.method, 'POST');
  assert.equal(up.target, `/azure-east/openai/deployments/gpt4o-prod/chat/completions?api-version=${API_VERSION}`);
  assert.equal(up.headers['api-key'], KEY);
  assert.equal(up.headers.authorization, undefined, 'AzureOpenAI sends api-key, not a bearer token');
  assert.match(up.headers['user-agent'], /^AzureOpenAI\/JS /);
});

test('AzureOpenAI stream: prompt-filter prelude first, text equal to non-stream, usage last', async () => {
  const plain = await azure().chat.completions.create({ model: 'gpt-4o', messages: ask('stream from azure') });
  await m.clear();
  const { chunks, text } = await collect(await azure().chat.completions.create({
    model: 'gpt-4o', messages: ask('stream from azure'), stream: true, stream_options: { include_usage: true },
  }));
  assert.equal(text, plain.choices[0].message.content);
  // Real Azure opens a stream with an id-less chunk carrying only prompt_filter_results.
  assert.equal(chunks[0].id, '');
  assert.equal(chunks[0].choices.length, 0);
  assert.ok(Array.isArray(chunks[0].prompt_filter_results));
  const body = chunks.slice(1, -1);
  assert.ok(body.length > 0 && body.every((c) => c.id && c.object === 'chat.completion.chunk' && c.choices.length === 1));
  assert.equal(chunks.at(-1).choices.length, 0);
  assert.equal(chunks.at(-1).usage.total_tokens, plain.usage.total_tokens);

  const [up] = await m.requests();
  assert.equal(up.target, `/azure-east/openai/deployments/gpt4o-prod/chat/completions?api-version=${API_VERSION}`);
  assert.equal(up.headers['api-key'], KEY);
  assert.deepEqual(JSON.parse(up.body).stream_options, { include_usage: true });
});

test('AzureOpenAI without a fixed deployment puts the model name in the path', async () => {
  await m.clear();
  const client = new AzureOpenAI({ endpoint: `${m.mock.url}/azure-east/`, apiKey: KEY, apiVersion: API_VERSION, maxRetries: 0 });
  const r = await client.chat.completions.create({ model: 'gpt4o-prod', messages: ask('by model') });
  assert.equal(r.choices[0].message.content, 'azure-east says: by model');
  const [up] = await m.requests();
  assert.equal(up.target, `/azure-east/openai/deployments/gpt4o-prod/chat/completions?api-version=${API_VERSION}`);
});

test('a wrong key is an AuthenticationError (401) with Azure\'s message', async () => {
  const e = await thrown(() => azure({ apiKey: 'not-the-key' }).chat.completions.create({ model: 'gpt-4o', messages: ask('x') }));
  assert.ok(e instanceof AuthenticationError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 401);
  assert.match(e.message, /invalid subscription key/);
});

test('an unknown deployment is a NotFoundError with code DeploymentNotFound', async () => {
  const e = await thrown(() => azure({ deployment: 'no-such-deployment' }).chat.completions.create({ model: 'gpt-4o', messages: ask('x') }));
  assert.ok(e instanceof NotFoundError, `got ${e.constructor.name}: ${e.message}`);
  assert.equal(e.status, 404);
  assert.equal(e.code, 'DeploymentNotFound');
});

test('Azure v1 form: plain OpenAI client, baseURL …/openai/v1, api-key header', async () => {
  await m.clear();
  const v1 = new OpenAI({
    baseURL: `${m.mock.url}/azure-east/openai/v1`, apiKey: 'unused-bearer', defaultHeaders: { 'api-key': KEY }, maxRetries: 0,
  });
  const r = await v1.chat.completions.create({ model: 'gpt4o-prod', messages: ask('hello v1') });
  assert.equal(r.choices[0].message.content, 'azure-east says: hello v1');
  assert.equal(r.model, 'gpt-4o-2024-08-06');
  const { text } = await collect(await v1.chat.completions.create({ model: 'gpt4o-prod', messages: ask('hello v1'), stream: true }));
  assert.equal(text, r.choices[0].message.content);
  const ups = await m.requests();
  assert.equal(ups.length, 2);
  for (const up of ups) {
    assert.equal(up.target, '/azure-east/openai/v1/chat/completions', 'the v1 form has no api-version');
    assert.equal(up.headers['api-key'], KEY);
    assert.equal(JSON.parse(up.body).model, 'gpt4o-prod', 'the deployment travels as model');
  }
  const ids = [];
  for await (const model of v1.models.list()) ids.push(model.id);
  assert.deepEqual(ids, ['gpt4o-prod']);
});

test('Azure v1 form also takes the key as a bearer token (apiKey only)', async () => {
  const v1 = new OpenAI({ baseURL: `${m.mock.url}/azure-east/openai/v1`, apiKey: KEY, maxRetries: 0 });
  const r = await v1.chat.completions.create({ model: 'gpt4o-prod', messages: ask('bearer') });
  assert.equal(r.choices[0].message.content, 'azure-east says: bearer');
  const wrong = new OpenAI({ baseURL: `${m.mock.url}/azure-east/openai/v1`, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(wrong.chat.completions.create({ model: 'gpt4o-prod', messages: ask('x') }),
    (e) => e instanceof AuthenticationError && e.status === 401);
});
