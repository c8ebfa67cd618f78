// The official OpenAI SDK, pointed at the gateway, gets answers it fully understands: plain and
// streamed completions, the stream helper, model listing, and fallback, as a user sees them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayConfig } from '../integration/harness.mjs';
import { startStack } from './stack.mjs';

let s;
let client;
before(async () => {
  s = await startStack();
  client = s.client();
});
after(async () => { await s?.stop(); });

const ask = (content) => [{ role: 'user', content }];

// Every content delta of a stream, joined, and the chunks themselves.
async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  return { chunks, text };
}

test('create() non-stream: mock answer, usage and the route header via withResponse()', async () => {
  await s.clear();
  const { data, response } = await client.chat.completions
    .create({ model: 'direct', messages: ask('hello from the sdk') })
    .withResponse();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollbooth-route'), 'openai');
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].message.content, 'openai says: hello from the sdk');
  assert.equal(data.choices[0].finish_reason, 'stop');
  // The mock counts words (docs/mock.md): 4 prompt words + 3 per message; 6 answer words.
  assert.equal(data.usage.prompt_tokens, 7);
  assert.equal(data.usage.completion_tokens, 6);
  assert.equal(data.usage.total_tokens, 13);
  // The SDK's own credentials stay at the gateway; the cloud sees the configured key.
  const [up] = await s.requests();
  assert.equal(up.headers.authorization, 'Bearer sk-mock-openai');
});

test('create({stream: true}) reassembles to the non-stream answer; no usage-only chunk unless asked', async () => {
  const plain = await client.chat.completions.create({ model: 'direct', messages: ask('count the words here') });
  const { chunks, text } = await collect(
    await client.chat.completions.create({ model: 'direct', messages: ask('count the words here'), stream: true }),
  );
  assert.ok(chunks.length > 2, `expected several chunks, got ${chunks.length}`);
  assert.equal(text, plain.choices[0].message.content);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.ok(chunks.every((c) => c.choices.length > 0), 'no chunk with empty choices when include_usage was not asked');
  assert.ok(chunks.every((c) => !c.usage), 'no usage when include_usage was not asked');
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id across the stream');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
});

test('stream with stream_options.include_usage ends with the usage chunk', async () => {
  const plain = await client.chat.completions.create({ model: 'direct', messages: ask('usage please') });
  const { chunks, text } = await collect(await client.chat.completions.create({
    model: 'direct', messages: ask('usage please'), stream: true, stream_options: { include_usage: true },
  }));
  assert.equal(text, plain.choices[0].message.content);
  const last = chunks.at(-1);
  assert.equal(last.choices.length, 0);
  assert.deepEqual(
    [last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens],
    [plain.usage.prompt_tokens, plain.usage.completion_tokens, plain.usage.total_tokens],
  );
  assert.equal(chunks.filter((c) => c.choices.length === 0).length, 1, 'exactly one usage-only chunk');
});

test('max_tokens reaches the cloud: the SDK sees finish_reason length, streamed or not', async () => {
  const r = await client.chat.completions.create({ model: 'direct', messages: ask('one two three four'), max_tokens: 2 });
  assert.equal(r.choices[0].message.content, 'openai says:');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 2);
  const { chunks, text } = await collect(await client.chat.completions.create({
    model: 'direct', messages: ask('one two three four'), max_tokens: 2, stream: true,
  }));
  assert.equal(text, 'openai says:');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
});

test('chat.completions.stream() helper: content events and finalChatCompletion()', async () => {
  const plain = await client.chat.completions.create({ model: 'direct', messages: ask('helper test') });
  const helper = client.chat.completions.stream({
    model: 'direct', messages: ask('helper test'), stream_options: { include_usage: true },
  });
  let deltas = '';
  helper.on('content', (delta) => { deltas += delta; });
  const final = await helper.finalChatCompletion();
  assert.equal(final.choices[0].message.content, plain.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, 'stop');
  assert.equal(deltas, plain.choices[0].message.content);
  assert.equal(final.usage.total_tokens, plain.usage.total_tokens);
  assert.equal(await helper.finalContent(), plain.choices[0].message.content);
});

test('through the gateway to Azure (gpt-4o): no empty prelude chunk, right usage', async () => {
  const { data: plain, response } = await client.chat.completions
    .create({ model: 'gpt-4o', messages: ask('azure via gateway') })
    .withResponse();
  assert.equal(response.headers.get('x-tollbooth-route'), 'azure-east');
  assert.equal(plain.choices[0].message.content, 'azure-east says: azure via gateway');
  assert.equal(plain.model, 'gpt-4o-2024-08-06');

  const { data: stream, response: sres } = await client.chat.completions.create({
    model: 'gpt-4o', messages: ask('azure via gateway'), stream: true, stream_options: { include_usage: true },
  }).withResponse();
  assert.equal(sres.headers.get('x-tollbooth-route'), 'azure-east');
  const { chunks, text } = await collect(stream);
  assert.equal(text, plain.choices[0].message.content);
  assert.ok(chunks.every((c) => c.id !== ''), "Azure's prompt-filter prelude (id '') must not reach the client");
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.ok(chunks.slice(0, -1).every((c) => c.choices.length > 0), 'only the final usage chunk has no choices');
  assert.equal(chunks.at(-1).choices.length, 0);
  assert.deepEqual(chunks.at(-1).usage.total_tokens, plain.usage.total_tokens);
  assert.equal(chunks.at(-1).usage.prompt_tokens, plain.usage.prompt_tokens);
  assert.equal(chunks.at(-1).usage.completion_tokens, plain.usage.completion_tokens);

  // And without include_usage, nothing with empty choices at all (neither prelude nor usage).
  const bare = await collect(await client.chat.completions.create({
    model: 'gpt-4o', messages: ask('azure via gateway'), stream: true,
  }));
  assert.equal(bare.text, plain.choices[0].message.content);
  assert.ok(bare.chunks.every((c) => c.id !== '' && c.choices.length > 0));
});

test("the SDK's credentials never reach a cloud, whichever header carries them", async () => {
  await s.clear();
  const leaky = s.client({ apiKey: 'client-secret-1', defaultHeaders: { 'api-key': 'client-secret-2' } });
  await leaky.chat.completions.create({ model: 'gpt-4o', messages: ask('x') });
  await leaky.chat.completions.create({ model: 'direct', messages: ask('x') });
  const [azureUp, openaiUp] = await s.requests();
  assert.equal(azureUp.headers['api-key'], 'azure-mock-key');
  assert.equal(azureUp.headers.authorization, undefined);
  assert.equal(openaiUp.headers.authorization, 'Bearer sk-mock-openai');
  assert.equal(openaiUp.headers['api-key'], undefined);
  assert.doesNotMatch(JSON.stringify([azureUp, openaiUp]), /client-secret/);
});

test('models.list() returns the configured model ids; models.retrieve() one of them', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  // Every model of the harness config, in file order (the order /v1/models promises).
  const models = gatewayConfig(0).split('\nmodels:\n')[1];
  const configured = [...models.matchAll(/^  ([\w.-]+):$/gm)].map((m) => m[1]);
  assert.ok(configured.length > 10);
  assert.deepEqual(ids, configured);
  const m = await client.models.retrieve('gpt-4o');
  assert.equal(m.id, 'gpt-4o');
  assert.equal(m.object, 'model');
  assert.equal(typeof m.created, 'number');
  assert.equal(typeof m.owned_by, 'string');
});

test('fallback: a model whose first route is a 503 cloud is served by the second', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'fallback-503', messages: ask('fall back') })
    .withResponse();
  assert.equal(response.headers.get('x-tollbooth-route'), 'openai');
  assert.equal(data.choices[0].message.content, 'openai says: fall back');
  assert.equal(data.model, 'gpt-4o-mini');

  const { data: stream, response: sres } = await client.chat.completions
    .create({ model: 'fallback-503', messages: ask('fall back'), stream: true })
    .withResponse();
  assert.equal(sres.headers.get('x-tollbooth-route'), 'openai');
  assert.equal((await collect(stream)).text, 'openai says: fall back');
});

test('breaking out of a stream early leaves the gateway serving', async () => {
  const stream = await client.chat.completions.create({
    model: 'slow-stream', messages: ask('a long slow answer with many words'), stream: true,
  });
  let got = '';
  for await (const chunk of stream) {
    got += chunk.choices[0]?.delta?.content ?? '';
    if (got) break; // aborts the HTTP request
  }
  assert.ok(got.length > 0);
  const next = await client.chat.completions.create({ model: 'direct', messages: ask('still up') });
  assert.equal(next.choices[0].message.content, 'openai says: still up');
});

test('concurrent SDK calls, streamed and not, all get their own answers', async () => {
  const jobs = Array.from({ length: 16 }, async (_, i) => {
    const model = i % 2 ? 'gpt-4o' : 'direct';
    const cloud = i % 2 ? 'azure-east' : 'openai';
    if (i % 4 < 2) {
      const r = await client.chat.completions.create({ model, messages: ask(`job ${i}`) });
      assert.equal(r.choices[0].message.content, `${cloud} says: job ${i}`);
    } else {
      const { text } = await collect(await client.chat.completions.create({ model, messages: ask(`job ${i}`), stream: true }));
      assert.equal(text, `${cloud} says: job ${i}`);
    }
  });
  await Promise.all(jobs);
});
