// Fallback v0: connect failures, timeouts, 429 and 5xx move to the next route, only before the
// first byte reached the client; when nothing can serve, the error names every attempt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chat, sseEvents } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

const msg = [{ role: 'user', content: 'fall back please' }];

for (const [model, why] of [['fallback-503', '503'], ['fallback-connect', 'connect failure'], ['fallback-timeout', 'first-byte timeout']]) {
  test(`a ${why} on the first route falls back to the next`, async () => {
    const res = await chat(s.gw.url, { model, messages: msg });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
    assert.match((await res.json()).choices[0].message.content, /openai says/);
  });
}

test('streams fall back too when the first route fails before any byte', async () => {
  const res = await chat(s.gw.url, { model: 'fallback-503', messages: msg, stream: true });
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
  const events = await sseEvents(res);
  assert.equal(events.at(-1), '[DONE]');
});

test('when every route fails the 502 names each attempt and no secret', async () => {
  const res = await chat(s.gw.url, { model: 'all-down', messages: msg });
  assert.equal(res.status, 502);
  const { error } = await res.json();
  assert.equal(error.code, 'no_route_available');
  assert.match(error.message, /down: HTTP 503/);
  assert.match(error.message, /nowhere: connect/);
  assert.doesNotMatch(error.message, /sk-mock|azure-mock-key/);
});

test('an overloaded upstream gives 503 with its Retry-After', async () => {
  const res = await chat(s.gw.url, { model: 'all-busy', messages: msg });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '7');
  assert.match((await res.json()).error.message, /busy: HTTP 429/);
});

test('every route timing out is a 504', async () => {
  const res = await chat(s.gw.url, { model: 'only-slow', messages: msg });
  assert.equal(res.status, 504);
  assert.match((await res.json()).error.message, /first_byte_timeout/);
});

test("an upstream 400 is the client's fault: passed through, not retried elsewhere", async () => {
  const res = await chat(s.gw.url, { model: 'client-error', messages: msg });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-tollbooth-route'), 'badreq');
});

test('a stream that breaks after it started is reported in-band and not retried', async () => {
  const res = await chat(s.gw.url, { model: 'drops', messages: msg, stream: true });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'dropper');
  const events = await sseEvents(res);
  assert.notEqual(events.at(-1), '[DONE]');
  const err = events.at(-1).error;
  assert.ok(err, 'last event is an in-band error');
  assert.match(err.message, /dropper/);
});

test('a stream that stalls past idle_timeout after it started ends with an in-band error', async () => {
  const res = await chat(s.gw.url, { model: 'stalls', messages: msg, stream: true });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'staller');
  const events = await sseEvents(res);
  assert.ok(events.length >= 2, 'the first event arrived before the stall');
  assert.match(events.at(-1).error.message, /staller: .*idle_timeout/);
});

test('a cloud refusing the gateway\'s own key (401) is a route fault: the next route serves', async () => {
  const res = await chat(s.gw.url, { model: 'wrong-key-first', messages: msg });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
  const only = await chat(s.gw.url, { model: 'wrong-key-only', messages: msg });
  assert.equal(only.status, 502, 'not the 401: the client\'s own key is not at fault');
  const { error } = await only.json();
  assert.match(error.message, /azure-wrong-key: HTTP 401: the cloud refused the gateway's credentials/);
  assert.doesNotMatch(error.message, /not-the-azure-key/);
});
