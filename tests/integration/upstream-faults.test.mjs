// Hostile upstreams (tests/integration/hostile-upstream.mjs) against the real gateway: interim
// 1xx heads, surplus bytes, garbage, stalls and breaks after the head, huge answers and huge
// stream events, and clients that leave while the gateway waits. Each test is the regression
// test of a defect found under hostile conditions (docs/security.md lists them).
import { test, before, after } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startProcess, stop, eventually, tempFile, chat, sseEvents } from './harness.mjs';
import { startHostileUpstream } from './hostile-upstream.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ask = (text) => [{ role: 'user', content: text }];

let up;
before(async () => { up = await startHostileUpstream(); });
after(async () => { await up.close(); });

// A gateway whose models each route to one hostile scenario (and, where named, fall back to a
// well-behaved `ok` route). One worker, so every request shares one upstream pool.
function config(serverExtra = '', routingExtra = '', billingExtra = '') {
  const scenarios = ['ok', 'early-hints', 'early-hints-2', 'continue', 'switching', 'long-body',
    'long-body-100', 'garbage', 'short-body', 'stall-body', 'stall-head', 'stall-stream', 'reset',
    'bad-chunked', 'huge-512k', 'huge-2m', 'huge-chunked-2m', 'huge-8m', 'huge-event-2m',
    'endless', 'stall-body-1500', 'status-503-2'];
  const providers = scenarios.map((s) => `  ${s}:
    kind: openai
    base_url: ${up.url}/${s}/v1
    api_key: k
    first_byte_timeout: 2s
    idle_timeout: ${{ 'stall-stream': '30s', 'stall-body-1500': '3s' }[s] ?? '500ms'}`).join('\n');
  const models = scenarios.map((s) => `  ${s}:\n    routes:\n      - { provider: ${s} }`).join('\n');
  const withFallback = scenarios.map((s) => `  ${s}-then-ok:
    routes:
      - { provider: ${s} }
      - { provider: ok }`).join('\n');
  return `
server:
  listen: 127.0.0.1:0
  workers: 1
  max_response_bytes: 4MiB
  max_stream_event_bytes: 1MiB
${serverExtra}
auth: none
billing: { unpriced: allow ${billingExtra} }  # these tests are not about prices
providers:
${providers}
routing:
  breaker: { failures: 1000, min_requests: 1000 }
${routingExtra}
models:
${models}
${withFallback}
`;
}

async function gateway(serverExtra, routingExtra, billingExtra) {
  return startProcess(['serve', '-c', tempFile('gw.yaml', config(serverExtra, routingExtra, billingExtra))],
    { prefix: 'tollbooth', env: { TOLLBOOTH_LOG: 'info' } });
}

const contentOf = async (res) => (await res.json()).choices[0].message.content;
const sent = (scenario) => up.requests.filter((r) => r.scenario === scenario);

test('1xx: 103 Early Hints before the answer is read past, and the next client gets its own answer on the same connection', async () => {
  const gw = await gateway();
  try {
    up.clear();
    const a = await chat(gw.url, { model: 'early-hints', messages: ask('alpha') });
    assert.equal(a.status, 200);
    assert.equal(await contentOf(a), 'echo:alpha');
    const b = await chat(gw.url, { model: 'early-hints', messages: ask('beta') });
    assert.equal(b.status, 200);
    assert.equal(await contentOf(b), 'echo:beta', "never the previous client's answer");
    const conns = sent('early-hints').map((r) => r.conn);
    assert.equal(conns.length, 2);
    assert.equal(conns[0], conns[1], 'the pooled connection was reused, in step');
  } finally { await stop(gw); }
});

test('1xx: two 103s and an unsolicited 100 Continue are read past, streaming included', async () => {
  const gw = await gateway();
  try {
    for (const model of ['early-hints-2', 'continue']) {
      for (const word of ['one', 'two']) {
        const r = await chat(gw.url, { model, messages: ask(`${model}-${word}`) });
        assert.equal(r.status, 200, model);
        assert.equal(await contentOf(r), `echo:${model}-${word}`);
      }
      const s = await chat(gw.url, { model, messages: ask('streamed words'), stream: true });
      assert.equal(s.status, 200);
      const events = await sseEvents(s);
      assert.equal(events.at(-1), '[DONE]');
      const text = events.filter((e) => e.choices).map((e) => e.choices[0]?.delta?.content ?? '').join('');
      assert.match(text, /streamed/);
    }
  } finally { await stop(gw); }
});

test('1xx: a 101 nobody asked for is a 502 and that connection is closed', async () => {
  const gw = await gateway();
  try {
    up.clear();
    const r = await chat(gw.url, { model: 'switching', messages: ask('x') });
    assert.equal(r.status, 502);
    assert.match((await r.json()).error.message, /not valid HTTP/);
    const conn = sent('switching')[0].conn;
    for (let i = 0; i < 20 && up.closedAt(conn) === undefined; i++) await sleep(25);
    assert.ok(up.closedAt(conn) !== undefined, 'the gateway closed the connection');
  } finally { await stop(gw); }
});

test('pool: an answer followed by surplus bytes closes the connection; the next client never reads them', async () => {
  const gw = await gateway();
  try {
    for (const model of ['long-body', 'long-body-100']) {
      up.clear();
      const a = await chat(gw.url, { model, messages: ask('first') });
      assert.equal(await contentOf(a), 'echo:first');
      await sleep(150);  // long-body-100 sends its surplus 100 ms later, onto the idle connection
      const b = await chat(gw.url, { model, messages: ask('second') });
      assert.equal(b.status, 200);
      assert.equal(await contentOf(b), 'echo:second', `${model}: not the desync answer`);
    }
  } finally { await stop(gw); }
});

test('no re-send: a non-streamed answer that stalls after its head is a 504, sent upstream once, no fallback', async () => {
  const gw = await gateway();
  try {
    up.clear();
    const r = await chat(gw.url, { model: 'stall-body-then-ok', messages: ask('x') });
    assert.equal(r.status, 504);
    const { error } = await r.json();
    assert.match(error.message, /stall-body: the upstream stalled in the middle of its answer/);
    assert.equal(sent('stall-body').length, 1, 'never sent again');
    assert.equal(sent('ok').length, 0, 'no fallback once an upstream began answering');
  } finally { await stop(gw); }
});

test('no re-send: a body cut short is a 502 sent once; garbage is a 502 whose detail reaches the log', async () => {
  const gw = await gateway();
  try {
    up.clear();
    const cut = await chat(gw.url, { model: 'short-body-then-ok', messages: ask('x') });
    assert.equal(cut.status, 502);
    assert.match((await cut.json()).error.message, /broke off its answer/);
    assert.equal(sent('short-body').length, 1);
    const junk = await chat(gw.url, { model: 'garbage-then-ok', messages: ask('x') });
    assert.equal(junk.status, 502);
    assert.match((await junk.json()).error.message, /not valid HTTP/);
    assert.equal(sent('garbage').length, 1);
    const chunky = await chat(gw.url, { model: 'bad-chunked-then-ok', messages: ask('x') });
    assert.equal(chunky.status, 502);
    assert.equal(sent('ok').length, 0);
    // The parser's own words, not "connection failed", and in the access log (a moment after).
    await eventually(async () =>
      assert.match(gw.stderr(), /garbage\(the upstream's answer was not valid HTTP: [^)]+\)/));
  } finally { await stop(gw); }
});

test('fallback still happens when the upstream never began answering (reset before any byte)', async () => {
  const gw = await gateway();
  try {
    up.clear();
    const r = await chat(gw.url, { model: 'reset-then-ok', messages: ask('safe') });
    assert.equal(r.status, 200);
    assert.equal(await contentOf(r), 'echo:safe');
    assert.equal(r.headers.get('x-tollbooth-route'), 'ok');
  } finally { await stop(gw); }
});

test('size: a non-streamed answer over max_response_bytes is a 502 naming the limit; under it, it is whole', async () => {
  const gw = await gateway();
  try {
    const small = await chat(gw.url, { model: 'huge-512k', messages: ask('x') });
    assert.equal(small.status, 200);
    assert.equal((await small.text()).length, 512 * 1024);
    const chunked = await chat(gw.url, { model: 'huge-chunked-2m', messages: ask('x') });
    assert.equal(chunked.status, 200, 'a 2 MiB chunked answer is under the 4 MiB limit');
    assert.equal((await chunked.text()).length, 2 * 1024 * 1024);
    const big = await chat(gw.url, { model: 'huge-8m', messages: ask('x') });
    assert.equal(big.status, 502);
    assert.match((await big.json()).error.message, /max_response_bytes \(4194304 bytes\)/);
  } finally { await stop(gw); }
});

test('size: answers held at once are bounded by max_buffered_bytes (503 beyond it), and the budget comes back', async () => {
  // Each stall-body-1500 answer holds its Content-Length for 1.5 s; three of them (plus their
  // request bodies) do not fit in 1 KiB.
  const gw = await gateway('  max_buffered_bytes: 1KiB');
  try {
    const results = await Promise.all([1, 2, 3, 4].map((i) =>
      chat(gw.url, { model: 'stall-body-1500', messages: ask(`held ${i}`) })
        .then(async (r) => ({ status: r.status, body: await r.json() }))));
    const refused = results.filter((r) => r.status === 503);
    assert.ok(results.some((r) => r.status === 200), JSON.stringify(results.map((r) => r.status)));
    assert.ok(refused.length >= 1, JSON.stringify(results.map((r) => r.status)));
    for (const r of refused) {
      assert.equal(r.body.error.code, 'buffer_limit');
      assert.match(r.body.error.message, /max_buffered_bytes/);
    }
    const later = await chat(gw.url, { model: 'ok', messages: ask('after') });
    assert.equal(later.status, 200, 'everything held was given back');
  } finally { await stop(gw); }
});

test('memory: after eight concurrent 2 MiB answers the gateway gives the memory back', async () => {
  const gw = await gateway('  max_buffered_bytes: 64MiB');
  const rss = () => {
    const status = readFileSync(`/proc/${gw.child.pid}/status`, 'utf8');
    return Number(status.match(/VmRSS:\s+(\d+) kB/)[1]) * 1024;
  };
  try {
    const before = rss();
    for (let round = 0; round < 2; round++) {
      const rs = await Promise.all(Array.from({ length: 8 }, () =>
        chat(gw.url, { model: 'huge-chunked-2m', messages: ask('x') }).then((r) => r.text())));
      assert.ok(rs.every((t) => t.length === 2 * 1024 * 1024));
    }
    // Freed pages go back to the system within about a second (the allocator purges them from a
    // background thread, off the request path).
    let afterRss = rss();
    for (let i = 0; i < 50 && afterRss >= before + 8 * 1024 * 1024; i++) {
      await sleep(100);
      afterRss = rss();
    }
    assert.ok(afterRss < before + 8 * 1024 * 1024,
      `RSS ${Math.round(before / 1048576)} MB before, ${Math.round(afterRss / 1048576)} MB 5 s after 16 MB of answers held at once`);
  } finally { await stop(gw); }
});

test('streams: one event over max_stream_event_bytes is refused; a stream is not limited in total', async () => {
  const gw = await gateway();
  try {
    const huge = await chat(gw.url, { model: 'huge-event-2m', messages: ask('x'), stream: true });
    assert.equal(huge.status, 502);
    assert.match((await huge.json()).error.message, /max_stream_event_bytes/);
    // 72 MiB of small events: more than the old 64 MiB cap on a whole answer.
    const endless = await chat(gw.url, { model: 'endless', messages: ask('x'), stream: true });
    assert.equal(endless.status, 200);
    const reader = endless.body.getReader();
    let total = 0;
    let tail = '';
    while (total < 72 * 1024 * 1024) {
      const { done, value } = await reader.read();
      assert.ok(!done, `the stream ended after ${total} bytes`);
      total += value.length;
      tail = Buffer.from(value).toString('utf8');
      assert.doesNotMatch(tail, /"error"/);
    }
    await reader.cancel();
  } finally { await stop(gw); }
});

// A request the test can abort mid-way, as a client that goes away.
function leavingChat(url, body) {
  const ac = new AbortController();
  const res = fetch(`${url}/v1/chat/completions`, {
    method: 'POST', signal: ac.signal,
    headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  res.catch(() => {});
  return { res, leave: () => { const at = Date.now(); ac.abort(); return at; } };
}

async function closedWithin(conn, since, ms) {
  for (let i = 0; i < ms / 20 && up.closedAt(conn) === undefined; i++) await sleep(20);
  const at = up.closedAt(conn);
  assert.ok(at !== undefined, `upstream connection ${conn} still open ${ms} ms after the client left`);
  return at - since;
}

test('client gone: no fallback after the client leaves, and the stalled upstream is released at once', async () => {
  const gw = await gateway();
  try {
    up.clear();
    const call = leavingChat(gw.url, { model: 'stall-head-then-ok', messages: ask('x') });
    await sleep(500);
    const left = call.leave();
    const conn = sent('stall-head')[0].conn;
    const took = await closedWithin(conn, left, 1000);
    assert.ok(took < 500, `released ${took} ms after the client left`);
    await sleep(2500);  // past first_byte_timeout (2 s): the fallback would have run by now
    assert.equal(sent('ok').length, 0, 'no attempt for a client that has gone');
    assert.match(gw.stderr(), /POST \/v1\/chat\/completions 499 model=stall-head-then-ok/);
  } finally { await stop(gw); }
});

// Asks the stall-stream scenario to stream, reads its first event (the upstream then stalls,
// idle_timeout 30 s), and leaves; returns when it left.
async function leaveStalledStream(gw) {
  up.clear();
  const call = leavingChat(gw.url, { model: 'stall-stream', messages: ask('a b c'), stream: true });
  const res = await call.res;
  assert.equal(res.status, 200);
  await res.body.getReader().read();
  return call.leave();
}

test('client gone, on_client_abort: cancel: a stream stalled mid-way releases its upstream connection at once', async () => {
  const gw = await gateway('', '', ', on_client_abort: cancel');
  try {
    const left = await leaveStalledStream(gw);
    const took = await closedWithin(sent('stall-stream')[0].conn, left, 1000);
    assert.ok(took < 500, `released ${took} ms after the client left`);
  } finally { await stop(gw); }
});

test('client gone, on_client_abort: finish (the default): the stalled upstream is read on for its usage, then released at abort_timeout', async () => {
  const gw = await gateway('', '', ', abort_timeout: 1s');
  try {
    const left = await leaveStalledStream(gw);
    await sleep(500);
    assert.equal(up.closedAt(sent('stall-stream')[0].conn), undefined, 'still read for its usage');
    const took = await closedWithin(sent('stall-stream')[0].conn, left, 3000);
    assert.ok(took >= 900, `released ${took} ms after the client left, at abort_timeout`);
  } finally { await stop(gw); }
});

test('client gone: the backoff before a retry ends when the client leaves, and no retry is sent', async () => {
  // The upstream asks for Retry-After: 2, so the retry cannot come before 2 s.
  const gw = await gateway('', '  attempts: 3\n  max_backoff: 3s');
  try {
    up.clear();
    const call = leavingChat(gw.url, { model: 'status-503-2', messages: ask('x') });
    await sleep(300);
    assert.equal(sent('status-503-2').length, 1, 'the first attempt was made');
    call.leave();
    await sleep(2500);
    assert.equal(sent('status-503-2').length, 1, 'no retry for a client that has gone');
  } finally { await stop(gw); }
});
