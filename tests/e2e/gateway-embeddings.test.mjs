// Embeddings through the gateway with the official SDK: OpenAI and Azure (both URL forms)
// passed through, Bedrock translated to Titan Text Embeddings v2 (InvokeModel, SigV4), each in
// OpenAI's shape with its usage, base64 (the SDK's default) and float alike.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, thrown } from './stack.mjs';

let s;
let client;
before(async () => {
  // The mock embeds with any deployment, so the chat deployments serve here.
  s = await startStack(`  embed:
    routes: [{ provider: openai, model: text-embedding-3-small }]
  embed-azure:
    routes: [{ provider: azure-east, deployment: gpt4o-prod }]
  embed-azure-v1:
    routes: [{ provider: azure-v1, deployment: gpt4o-v1 }]
  titan:
    routes: [{ provider: bedrock-us, model_id: "amazon.titan-embed-text-v2:0" }]
`);
  client = s.client();
});
after(async () => { await s?.stop(); });

test('OpenAI: vectors per input, usage, base64 and float the same numbers', async () => {
  await s.clear();
  const r = await client.embeddings.create({ model: 'embed', input: ['one two', 'three'] });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 2);
  assert.equal(r.data[0].embedding.length, 8, 'the mock\'s default size');
  assert.notDeepEqual(r.data[0].embedding, r.data[1].embedding);
  assert.equal(r.usage.prompt_tokens, 3);
  const [up] = await s.requests();
  assert.equal(up.target, '/openai/v1/embeddings');
  assert.equal(JSON.parse(up.body).model, 'text-embedding-3-small', 'the route\'s upstream model');
  const floats = await client.embeddings.create({ model: 'embed', input: ['one two', 'three'], encoding_format: 'float' });
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(floats.data[0].embedding[i] - r.data[0].embedding[i]) < 1e-6);
});

test('Azure: the deployment form with api-version and the v1 form', async () => {
  for (const [model, target] of [
    ['embed-azure', '/azure-east/openai/deployments/gpt4o-prod/embeddings?api-version=2024-10-21'],
    ['embed-azure-v1', '/azure-v1/openai/v1/embeddings'],
  ]) {
    await s.clear();
    const r = await client.embeddings.create({ model, input: 'hello azure', dimensions: 4 });
    assert.equal(r.data[0].embedding.length, 4, model);
    assert.equal(r.usage.prompt_tokens, 2, model);
    const [up] = await s.requests();
    assert.equal(up.target, target, model);
    assert.ok(up.headers['api-key'], model);
  }
});

test('Bedrock: Titan v2 through InvokeModel, answered in OpenAI\'s shape', async () => {
  await s.clear();
  const r = await client.embeddings.create({ model: 'titan', input: 'hello bedrock titan', dimensions: 256 });
  assert.equal(r.object, 'list');
  assert.equal(r.model, 'titan');
  assert.equal(r.data.length, 1);
  assert.equal(r.data[0].embedding.length, 256);
  assert.equal(r.usage.prompt_tokens, 3);
  assert.equal(r.usage.total_tokens, 3);
  const [up] = await s.requests();
  assert.equal(up.target, '/bedrock/model/amazon.titan-embed-text-v2%3A0/invoke');
  assert.match(up.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDMOCKEXAMPLE\//);
  assert.deepEqual(JSON.parse(up.body), { inputText: 'hello bedrock titan', normalize: true, dimensions: 256 });
  const floats = await client.embeddings.create({ model: 'titan', input: 'hello bedrock titan', dimensions: 256, encoding_format: 'float' });
  for (let i = 0; i < 256; i++) assert.ok(Math.abs(floats.data[0].embedding[i] - r.data[0].embedding[i]) < 1e-6);
});

test('Bedrock refusals name the field: several inputs, token arrays, a size Titan has not', async () => {
  let e = await thrown(() => client.embeddings.create({ model: 'titan', input: ['a', 'b'] }));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'input');
  assert.match(e.message, /one input per request/);
  e = await thrown(() => client.embeddings.create({ model: 'titan', input: [[1, 2, 3]] }));
  assert.equal(e.param, 'input');
  e = await thrown(() => client.embeddings.create({ model: 'titan', input: 'x', dimensions: 100 }));
  assert.equal(e.param, 'dimensions');
  e = await thrown(() => client.embeddings.create({ model: 'embed', input: 42 }));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'input');
});
