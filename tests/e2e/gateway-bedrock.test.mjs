// The official OpenAI SDK through the gateway to the mock AWS Bedrock: the SDK cannot tell that
// Converse answered. Text, streaming, parallel tool calls and tool results, json_schema (also
// when the model writes text before the response tool).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, thrown } from './stack.mjs';

let s;
let client;
before(async () => {
  s = await startStack();
  client = s.client();
});
after(async () => { await s?.stop(); });

const ask = (content) => [{ role: 'user', content }];

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Local time for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
];

test('create(): a Bedrock answer as a chat.completion, with usage', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'claude', messages: [{ role: 'system', content: 'be brief' }, ...ask('hello from the sdk')] })
    .withResponse();
  assert.equal(response.headers.get('x-tollbooth-route'), 'bedrock-us');
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.model, 'claude');
  assert.match(data.id, /^chatcmpl-/);
  assert.equal(data.choices[0].message.content, 'bedrock says: hello from the sdk');
  assert.equal(data.choices[0].finish_reason, 'stop');
  // The mock counts words: "be brief" (2, sent as Converse's `system`, not as a message) +
  // "hello from the sdk" (4) + 3 for the one message.
  assert.equal(data.usage.prompt_tokens, 9);
  assert.equal(data.usage.completion_tokens, 6);
});

test('stream: the chunks reassemble to the non-stream answer; usage only when asked', async () => {
  const stream = await client.chat.completions.create({ model: 'claude', messages: ask('one two three four'), stream: true });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, 'bedrock says: one two three four');
  assert.ok(chunks.every((c) => !c.usage && c.choices.length === 1));
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');

  const withUsage = await client.chat.completions.create({
    model: 'claude', messages: ask('one two'), stream: true, stream_options: { include_usage: true },
  });
  const all = [];
  for await (const c of withUsage) all.push(c);
  assert.deepEqual(all.at(-1).choices, []);
  assert.equal(all.at(-1).usage.completion_tokens, 4);
});

test('stream() helper: finalChatCompletion() is whole', async () => {
  const runner = client.chat.completions.stream({ model: 'claude', messages: ask('helper check') });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, 'bedrock says: helper check');
});

test('parallel tool calls, then the tool results in a second turn', async () => {
  const first = await client.chat.completions.create({
    model: 'claude', tools, messages: ask('parallel please: weather and time in Paris'),
  });
  const msg = first.choices[0].message;
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(msg.tool_calls.map((t) => t.function.name), ['get_weather', 'get_time']);
  assert.deepEqual(msg.tool_calls.map((t) => t.id), ['tooluse_mock_1', 'tooluse_mock_2']);
  for (const call of msg.tool_calls) {
    assert.equal(call.type, 'function');
    assert.deepEqual(JSON.parse(call.function.arguments), { echo: 'parallel please: weather and time in Paris' });
  }
  const second = await client.chat.completions.create({
    model: 'claude',
    tools,
    messages: [
      ...ask('parallel please: weather and time in Paris'),
      msg,
      { role: 'tool', tool_call_id: 'tooluse_mock_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'tooluse_mock_2', content: 'noon' },
    ],
  });
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.equal(second.choices[0].message.content, 'bedrock got tool results: sunny noon');
  // Both results went to Bedrock in one user turn, after the assistant's toolUse turn.
  const sent = JSON.parse((await s.requests()).at(-1).body);
  assert.deepEqual(sent.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(sent.messages[2].content.map((b) => b.toolResult.toolUseId), ['tooluse_mock_1', 'tooluse_mock_2']);
});

test('streamed tool calls: indices, ids and arguments fragments the SDK accumulates', async () => {
  const runner = client.chat.completions.stream({
    model: 'claude', tools, messages: ask('parallel tools in a stream'),
  });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls;
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(calls.map((c) => c.function.name), ['get_weather', 'get_time']);
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { echo: 'parallel tools in a stream' });
});

test('a named tool_choice calls exactly that tool', async () => {
  const r = await client.chat.completions.create({
    model: 'claude', tools, tool_choice: { type: 'function', function: { name: 'get_time' } }, messages: ask('parallel what time'),
  });
  assert.deepEqual(r.choices[0].message.tool_calls.map((t) => t.function.name), ['get_time']);
});

test('response_format json_schema: the answer is the JSON content, finish_reason stop', async () => {
  const schema = { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'] };
  const r = await client.chat.completions.create({
    model: 'claude',
    messages: ask('give me json'),
    response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
  });
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.choices[0].message.tool_calls, undefined);
  assert.deepEqual(JSON.parse(r.choices[0].message.content), { echo: 'give me json' });

  const stream = await client.chat.completions.create({
    model: 'claude', stream: true, messages: ask('give me json'),
    response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
  });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  assert.deepEqual(JSON.parse(text), { echo: 'give me json' });
});

test('json_schema, streamed: text the model writes before the response tool stays out of the content', async () => {
  // "preamble" makes the mock Bedrock write "Let me check." before its tool call (docs/mock.md).
  const messages = ask('preamble then json');
  const withTools = await client.chat.completions.create({ model: 'claude', tools, messages });
  assert.equal(withTools.choices[0].message.content, 'Let me check.'); // the answer has that shape

  const schema = { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'] };
  const request = {
    model: 'claude', messages, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
  };
  const whole = await client.chat.completions.create(request);
  assert.equal(whole.choices[0].finish_reason, 'stop');
  assert.deepEqual(JSON.parse(whole.choices[0].message.content), { echo: 'preamble then json' });

  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.deepEqual(JSON.parse(text), { echo: 'preamble then json' });
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(chunks.findLast((c) => c.choices.length).choices[0].finish_reason, 'stop');
  // The dropped text was still generated: usage counts it, as in the non-streamed answer; the
  // stream's usage also carries the gateway's charge for it (usage.cost, a priced route).
  const { cost, ...usage } = chunks.at(-1).usage;
  assert.deepEqual(usage, whole.usage);
  assert.equal(typeof cost, 'number');
});

test('a parameter Bedrock cannot honour: the SDK throws BadRequestError naming it', async () => {
  const e = await thrown(() => client.chat.completions.create({ model: 'claude', messages: ask('hi'), temperature: 1.5 }));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'temperature');
});
