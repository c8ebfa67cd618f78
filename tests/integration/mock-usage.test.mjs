// The mock clouds report realistic usage (cached and reasoning tokens, Bedrock's cache reads
// and writes) by a documented rule, the same streamed and not, and keep a record of every
// answer's usage at /_mock/usage, from which a test can recompute what the clouds billed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, chat, sseEvents, MOCK_KEYS } from './harness.mjs';

let s;
before(async () => {
  s = await startStack(`
  gpt-oss:
    routes:
      - { provider: bedrock-us, model_id: "openai.gpt-oss-120b-1:0" }
`);
});
after(async () => { await s?.stop(); });

// 1021 words and 3 for the message: 1024 prompt tokens, long enough to be served from the cache.
// The answer echoes its first 64 characters: 13 words.
const longPrompt = [{ role: 'user', content: 'word '.repeat(1021).trim() }];

async function usageRecords(cloud) {
  const r = await fetch(`${s.mock.url}/_mock/usage${cloud ? `?cloud=${cloud}` : ''}`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.dropped, 0);
  return body.usage;
}

async function wholeAndStreamed(body) {
  const whole = await chat(s.gw.url, body);
  assert.equal(whole.status, 200);
  const wholeUsage = (await whole.json()).usage;
  const streamed = await chat(s.gw.url, { ...body, stream: true, stream_options: { include_usage: true } });
  assert.equal(streamed.status, 200);
  const events = await sseEvents(streamed);
  assert.equal(events.at(-1), '[DONE]');
  // A priced route adds its charge: the same figure streamed (usage.cost) and whole (the header).
  const { cost, ...streamUsage } = events.at(-2).usage;
  const header = whole.headers.get('x-tollbooth-cost');
  assert.equal(cost === undefined ? null : String(cost), header, 'the same cost streamed and whole');
  return { wholeUsage, streamUsage };
}

test('OpenAI and Azure report cached and reasoning tokens, the same streamed and whole, and record them', async () => {
  for (const [model, cloud] of [['direct', 'openai'], ['gpt-4o', 'azure-east']]) {
    await s.clearMock();
    const { wholeUsage, streamUsage } = await wholeAndStreamed({ model, messages: longPrompt, reasoning_effort: 'low' });
    assert.equal(wholeUsage.prompt_tokens, 1024, model);
    assert.equal(wholeUsage.prompt_tokens_details.cached_tokens, 512, model);
    assert.equal(wholeUsage.completion_tokens_details.reasoning_tokens, 16, model);
    // "<cloud> says: " and the prompt cut to 64 characters: 2 + 13 words, and the reasoning.
    assert.equal(wholeUsage.completion_tokens, 15 + 16, model);
    assert.deepEqual(streamUsage, wholeUsage, model);
    const records = await usageRecords(cloud);
    assert.equal(records.length, 2, model);
    assert.deepEqual(records.map((r) => [r.stream, r.reported, r.delivered]), [[false, true, true], [true, true, true]]);
    for (const r of records) {
      assert.equal(r.kind, cloud === 'openai' ? 'openai' : 'azure');
      assert.deepEqual(r.usage, wholeUsage, 'the record holds the usage the cloud answered with');
    }
  }
});

test('Bedrock reports cache reads and writes outside inputTokens and reasoning inside outputTokens', async () => {
  await s.clearMock();
  const { wholeUsage, streamUsage } = await wholeAndStreamed({ model: 'gpt-oss', messages: longPrompt, reasoning_effort: 'high' });
  assert.deepEqual(streamUsage, wholeUsage);
  const records = await usageRecords('bedrock');
  assert.equal(records.length, 2);
  assert.deepEqual(records[0].usage, records[1].usage);
  assert.deepEqual(records.map((r) => [r.stream, r.delivered, r.model]),
    [[false, true, 'openai.gpt-oss-120b-1:0'], [true, true, 'openai.gpt-oss-120b-1:0']]);
  const u = records[0].usage;
  // A prompt of 1024: half read from the cache, a quarter written to it; 15 words and 256
  // reasoning tokens out.
  assert.deepEqual(u, { inputTokens: 256, outputTokens: 15 + 256, totalTokens: 1024 + 271, cacheReadInputTokens: 512, cacheWriteInputTokens: 256 });
  // The gateway's client sees one prompt: Bedrock's three input counters added up.
  assert.equal(wholeUsage.prompt_tokens, u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens);
  assert.equal(wholeUsage.prompt_tokens_details.cached_tokens, 512);
  assert.equal(wholeUsage.prompt_tokens_details.cache_write_tokens, 256);
  assert.equal(wholeUsage.completion_tokens, u.outputTokens);
});

function streamDirect(prefix, headers, onFirstChunk) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${s.mock.url}${prefix}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MOCK_KEYS.MOCK_OPENAI_KEY}`, ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
        if (onFirstChunk) { onFirstChunk(req); onFirstChunk = null; resolve(text); }
      });
      res.on('end', () => resolve(text));
      res.on('error', () => resolve(text));
      res.on('aborted', () => resolve(text));
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve('') : reject(e)));
    req.end(JSON.stringify({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'a b c' }] }));
  });
}

test('a stream the cloud cut, or its client left, is recorded with its usage as not delivered', async () => {
  await s.clearMock();
  await streamDirect('/openai', { 'x-mock-fault': 'drop_after=3' });
  // trickle waits 150 ms between events; the client leaves after the first.
  await streamDirect('/trickle', {}, (req) => req.destroy());
  await sleep(8 * 150 + 500);  // until the trickle cloud has tried to write what was left
  const records = await usageRecords();
  assert.equal(records.length, 2, 'an answer the client abandoned is billed all the same');
  for (const r of records) {
    assert.equal(r.stream, true);
    assert.equal(r.reported, true);
    assert.equal(r.delivered, false, `${r.cloud}: the usage chunk never went out`);
    assert.equal(r.usage.prompt_tokens, 6);
  }
  const requests = await s.mockRequests();
  assert.deepEqual(requests.map((q) => q.seq), records.map((r) => r.seq), 'seq ties a record to its request');
});

test('a stream that did not ask for usage is recorded as unreported, and DELETE clears the record', async () => {
  await s.clearMock();
  const res = await fetch(`${s.mock.url}/openai/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${MOCK_KEYS.MOCK_OPENAI_KEY}` },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'a b c' }] }),
  });
  assert.ok(!(await res.text()).includes('prompt_tokens'));
  const [r] = await usageRecords('openai');
  assert.deepEqual([r.reported, r.delivered], [false, false]);
  assert.equal(r.usage.completion_tokens, 5, 'what the cloud counted, though it did not say');
  assert.deepEqual(await (await fetch(`${s.mock.url}/_mock/usage`, { method: 'DELETE' })).json(), { cleared: 1 });
  assert.deepEqual(await usageRecords(), []);
});
