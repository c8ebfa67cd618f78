// Self-test for hostile-upstream.mjs: drives each scenario over raw sockets (no gateway) and checks
// the bytes it promises, so a gateway test that fails is failing on the gateway, not the tool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHostileUpstream } from './hostile-upstream.mjs';

let up;
before(async () => { up = await startHostileUpstream(); });
after(async () => { await up?.close(); });

// --- Helpers -----------------------------------------------------------------------------------

// A raw client that collects every byte and remembers how the connection ended.
async function connect() {
  const socket = net.connect(up.port, '127.0.0.1');
  const c = { socket, data: Buffer.alloc(0), ended: false, closed: false, error: null };
  const waiters = new Set();
  const poke = () => { for (const w of waiters) w(); };
  socket.on('data', (d) => { c.data = Buffer.concat([c.data, d]); poke(); });
  socket.on('end', () => { c.ended = true; poke(); });
  socket.on('error', (e) => { c.error = e; poke(); });
  socket.on('close', () => { c.closed = true; poke(); });
  c.send = (bytes) => socket.write(bytes);
  // Resolves with pred(c) once it is truthy; rejects after `ms`.
  c.until = (pred, ms = 2000, what = 'condition') => new Promise((resolve, reject) => {
    const check = () => {
      const r = pred(c);
      if (r) { waiters.delete(check); clearTimeout(timer); resolve(r); }
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out waiting for ${what}; got ${c.data.length} bytes: ${JSON.stringify(c.data.subarray(0, 300).toString('latin1'))}`));
    }, ms);
    waiters.add(check);
    check();
  });
  c.responses = (n, ms) => c.until(() => {
    const r = parseResponses(c.data);
    return r.length >= n && r;
  }, ms, `${n} response(s)`);
  c.close = () => socket.destroy();
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return c;
}

function chatRequest(scenario, marker, { stream = false, usage = false, headers = {} } = {}) {
  const body = JSON.stringify({
    model: 'gpt-test',
    messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: marker }],
    ...(stream ? { stream: true } : {}),
    ...(usage ? { stream_options: { include_usage: true } } : {}),
  });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST /${scenario}/v1/chat/completions HTTP/1.1\r\nHost: upstream\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

// Parses the complete responses at the start of `buf` (interim 1xx heads included, as their own
// entries), independently of the server's code. Stops at the first incomplete one.
function parseResponses(buf) {
  const out = [];
  let pos = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end < 0) return out;
    const [statusLine, ...lines] = buf.subarray(pos, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!m) return out;
    const status = Number(m[1]);
    const headers = {};
    const rawHeaders = [];
    for (const l of lines) {
      const i = l.indexOf(':');
      const name = l.slice(0, i).toLowerCase();
      rawHeaders.push(name);
      headers[name] = l.slice(i + 1).trim();
    }
    let p = end + 4;
    let body = Buffer.alloc(0);
    if (status >= 200 && status !== 204 && status !== 304) {
      if (/chunked/.test(headers['transfer-encoding'] ?? '')) {
        const parts = [];
        for (;;) {
          const lineEnd = buf.indexOf('\r\n', p);
          if (lineEnd < 0) return out;
          const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
          assert.ok(Number.isFinite(size), 'chunk size is hex');
          if (buf.length < lineEnd + 2 + size + 2) return out;
          parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
          p = lineEnd + 2 + size + 2;
          if (size === 0) break;
        }
        body = Buffer.concat(parts);
      } else {
        const n = Number(headers['content-length']);
        if (buf.length < p + n) return out;
        body = buf.subarray(p, p + n);
        p += n;
      }
    }
    out.push({ status, headers, rawHeaders, body: body.toString('utf8'), bytes: p - pos });
    pos = p;
    if (status === 101) return out;  // nothing after a protocol switch is HTTP
  }
}

function sseData(body) {
  return body.split('\n\n').filter((e) => e.trim()).map((e) => {
    assert.match(e, /^data: /);
    const data = e.slice(6);
    return data === '[DONE]' ? data : JSON.parse(data);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(pred, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('eventually: timed out');
    await sleep(5);
  }
}

const lastConn = () => up.requests.at(-1).conn;

// --- Normal answers and keep-alive -------------------------------------------------------------

test('ok answers twice on one connection, in order, echoing the last message', async () => {
  const before = up.connections;
  const c = await connect();
  c.send(chatRequest('ok', 'first marker'));
  const [r1] = await c.responses(1);
  c.send(chatRequest('ok', 'second'));
  const [, r2] = await c.responses(2);
  for (const [r, marker] of [[r1, 'first marker'], [r2, 'second']]) {
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const json = JSON.parse(r.body);
    assert.equal(json.object, 'chat.completion');
    assert.equal(json.model, 'gpt-test');
    assert.equal(json.choices[0].message.content, `echo:${marker}`);
    assert.equal(json.choices[0].finish_reason, 'stop');
    assert.ok(json.usage.total_tokens > 0);
  }
  assert.equal(up.connections, before + 1, 'one TCP connection for both');
  const [q1, q2] = up.requests.slice(-2);
  assert.equal(q1.conn, q2.conn);
  assert.equal(q1.method, 'POST');
  assert.equal(q1.path, '/ok/v1/chat/completions');
  assert.equal(q1.headers.host, 'upstream');
  assert.equal(JSON.parse(q2.body).messages[1].content, 'second');
  assert.ok(q1.at <= q2.at);
  assert.ok(!c.ended && up.closedAt(q1.conn) === undefined, 'still open');
  c.close();
});

test('pipelined requests are answered in order', async () => {
  const c = await connect();
  c.send(chatRequest('ok', 'a') + chatRequest('ok', 'b') + chatRequest('status-503', 'c') + chatRequest('ok', 'd'));
  const rs = await c.responses(4);
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 503, 200]);
  assert.equal(JSON.parse(rs[1].body).choices[0].message.content, 'echo:b');
  assert.equal(JSON.parse(rs[3].body).choices[0].message.content, 'echo:d');
  c.close();
});

test('a chunked request body is read, and Connection: close gets a FIN after the answer', async () => {
  const c = await connect();
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'chunked in' }] });
  const half = body.length >> 1;
  c.send('POST /ok/v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
    `${half.toString(16)};ext=1\r\n${body.slice(0, half)}\r\n${(body.length - half).toString(16)}\r\n${body.slice(half)}\r\n0\r\nX-Trailer: t\r\n\r\n`);
  const [r] = await c.responses(1);
  assert.equal(r.headers.connection, 'close');
  assert.equal(JSON.parse(r.body).choices[0].message.content, 'echo:chunked in');
  await c.until(() => c.ended, 2000, 'FIN');
  await eventually(() => up.closedAt(lastConn()) !== undefined);
  assert.equal(up.requests.at(-1).body, body);
});

test('a non-chat body is echoed raw', async () => {
  const c = await connect();
  c.send('POST /ok/v1/whatever HTTP/1.1\r\nContent-Length: 9\r\n\r\nnot json!');
  const [r] = await c.responses(1);
  assert.equal(JSON.parse(r.body).choices[0].message.content, 'echo:not json!');
  c.close();
});

test('ok streams one chunk event per word, the usage chunk, then [DONE]', async () => {
  const c = await connect();
  c.send(chatRequest('ok', 'one two three', { stream: true, usage: true }));
  const [r] = await c.responses(1);
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/event-stream/);
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  const events = sseData(r.body);
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1);
  assert.ok(chunks.every((e) => e.object === 'chat.completion.chunk'));
  const words = chunks.filter((e) => e.choices[0]?.delta?.content);
  assert.equal(words.length, 3);
  assert.equal(words[0].choices[0].delta.role, 'assistant');
  assert.equal(words.map((e) => e.choices[0].delta.content).join(''), 'echo:one two three');
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  c.send(chatRequest('ok', 'no usage', { stream: true }));
  const [, r2] = await c.responses(2);
  const e2 = sseData(r2.body);
  assert.ok(e2.slice(0, -1).every((e) => !('usage' in e)), 'no usage without include_usage');
  c.close();
});

test('an unknown scenario is a 404 naming it', async () => {
  const c = await connect();
  c.send(chatRequest('no-such-thing', 'x'));
  const [r] = await c.responses(1);
  assert.equal(r.status, 404);
  assert.match(JSON.parse(r.body).error.message, /no-such-thing/);
  c.close();
});

// --- Interim responses and protocol switches ---------------------------------------------------

test('early-hints sends 103 with Link, then the 200, and the connection stays usable', async () => {
  const c = await connect();
  c.send(chatRequest('early-hints', 'eh'));
  const rs = await c.responses(2);
  assert.ok(c.data.toString('latin1').startsWith('HTTP/1.1 103 Early Hints\r\n'));
  assert.equal(rs[0].status, 103);
  assert.match(rs[0].headers.link, /rel=preload/);
  assert.equal(rs[1].status, 200);
  assert.equal(JSON.parse(rs[1].body).choices[0].message.content, 'echo:eh');
  c.send(chatRequest('early-hints-2', 'eh2'));
  const all = await c.responses(5);
  assert.deepEqual(all.map((r) => r.status), [103, 200, 103, 103, 200]);
  assert.equal(JSON.parse(all[4].body).choices[0].message.content, 'echo:eh2');
  assert.equal(new Set(up.requests.slice(-2).map((q) => q.conn)).size, 1);
  c.close();
});

test('continue sends an unsolicited 100 before the 200', async () => {
  const c = await connect();
  c.send(chatRequest('continue', 'cont'));
  const rs = await c.responses(2);
  assert.ok(c.data.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'));
  assert.equal(JSON.parse(rs[1].body).choices[0].message.content, 'echo:cont');
  c.close();
});

test('switching sends 101 and then nothing, leaving the socket open', async () => {
  const c = await connect();
  c.send(chatRequest('switching', 'sw'));
  const [r] = await c.responses(1);
  assert.equal(r.status, 101);
  assert.equal(r.headers.upgrade, 'websocket');
  await sleep(100);
  assert.equal(c.data.length, r.bytes, 'nothing after the 101');
  assert.ok(!c.ended);
  const conn = lastConn();
  assert.equal(up.closedAt(conn), undefined);
  // The harness must see the peer's close even though it will never answer on this socket.
  const t = Date.now();
  c.close();
  await eventually(() => up.closedAt(conn) !== undefined);
  assert.ok(up.closedAt(conn) >= t);
});

// --- Broken framing ----------------------------------------------------------------------------

test('garbage sends bytes that are not HTTP, then FIN', async () => {
  const c = await connect();
  c.send(chatRequest('garbage', 'g'));
  await c.until(() => c.ended, 2000, 'FIN');
  assert.ok(c.data.length > 0);
  assert.ok(!c.data.toString('latin1').startsWith('HTTP/'));
  assert.ok(c.data.includes(0x00), 'binary too');
});

test('bad-chunked sends a chunked head and a non-hex chunk size, then stays open', async () => {
  const c = await connect();
  c.send(chatRequest('bad-chunked', 'b'));
  await c.until(() => c.data.includes('zz\r\n'), 2000, 'the bad chunk');
  const text = c.data.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /Transfer-Encoding: chunked\r\n\r\nzz\r\n/);
  await sleep(100);
  assert.ok(!c.ended && up.closedAt(lastConn()) === undefined);
  c.close();
});

test('short-body promises 1000 bytes, sends 10, then FIN', async () => {
  const c = await connect();
  c.send(chatRequest('short-body', 's'));
  await c.until(() => c.ended, 2000, 'FIN');
  const text = c.data.toString('latin1');
  assert.match(text, /Content-Length: 1000\r\n/);
  assert.equal(text.length - (text.indexOf('\r\n\r\n') + 4), 10);
  assert.ok(!c.error);
});

test('long-body sends a valid answer and then a whole surplus response', async () => {
  const c = await connect();
  c.send(chatRequest('long-body', 'lb'));
  const rs = await c.responses(2);
  assert.equal(JSON.parse(rs[0].body).choices[0].message.content, 'echo:lb');
  assert.equal(JSON.parse(rs[1].body).choices[0].message.content, 'desync:lb');
  // The connection keeps serving: the next answer comes after the surplus, as a desynced client
  // would see it.
  c.send(chatRequest('ok', 'next'));
  const all = await c.responses(3);
  assert.equal(JSON.parse(all[2].body).choices[0].message.content, 'echo:next');
  c.close();
});

test('long-body-MS sends the surplus later, onto the idle connection', async () => {
  const c = await connect();
  const t = Date.now();
  c.send(chatRequest('long-body-100', 'late'));
  await c.responses(1);
  assert.equal(parseResponses(c.data).length, 1, 'only the real answer at first');
  const rs = await c.responses(2);
  assert.ok(Date.now() - t >= 95);
  assert.equal(JSON.parse(rs[1].body).choices[0].message.content, 'desync:late');
  c.close();
});

test('both-lengths sends Content-Length and chunked framing together', async () => {
  const c = await connect();
  c.send(chatRequest('both-lengths', 'bl'));
  const [r] = await c.responses(1);
  assert.ok(r.rawHeaders.includes('content-length') && r.rawHeaders.includes('transfer-encoding'));
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body), 'CL is the JSON, not the framing');
  assert.equal(JSON.parse(r.body).choices[0].message.content, 'echo:bl');
  c.close();
});

// --- Stalls ------------------------------------------------------------------------------------

test('stall-head never answers; stall-head-MS answers after MS', async () => {
  const c = await connect();
  c.send(chatRequest('stall-head', 'sh'));
  await sleep(150);
  assert.equal(c.data.length, 0);
  assert.equal(up.requests.at(-1).scenario, 'stall-head', 'but the request was read');
  c.close();

  const d = await connect();
  const t = Date.now();
  d.send(chatRequest('stall-head-100', 'sh2'));
  const [r] = await d.responses(1);
  assert.ok(Date.now() - t >= 95);
  assert.equal(JSON.parse(r.body).choices[0].message.content, 'echo:sh2');
  d.close();
});

test('stall-body sends the head and half the body, then stalls; -MS finishes it', async () => {
  const c = await connect();
  c.send(chatRequest('stall-body', 'sb'));
  await c.until(() => c.data.includes('\r\n\r\n'), 2000, 'head');
  await sleep(100);
  const text = c.data.toString('latin1');
  const length = Number(/Content-Length: (\d+)/.exec(text)[1]);
  const got = text.length - (text.indexOf('\r\n\r\n') + 4);
  assert.equal(got, length >> 1);
  c.close();

  const d = await connect();
  const t = Date.now();
  d.send(chatRequest('stall-body-100', 'sb2'));
  await d.until(() => d.data.includes('\r\n\r\n'), 2000, 'head');
  assert.equal(parseResponses(d.data).length, 0);
  const [r] = await d.responses(1);
  assert.ok(Date.now() - t >= 95);
  assert.equal(JSON.parse(r.body).choices[0].message.content, 'echo:sb2');
  d.send(chatRequest('ok', 'after'));
  await d.responses(2);
  d.close();
});

test('stall-stream sends one chunk event, then stalls; -MS finishes the stream', async () => {
  const c = await connect();
  c.send(chatRequest('stall-stream', 'w1 w2 w3', { stream: true }));
  await c.until(() => c.data.includes('\n\n\r\n'), 2000, 'first event');
  await sleep(100);
  const text = c.data.toString('latin1');
  assert.equal(text.match(/data: /g).length, 1);
  assert.match(text, /"content":"echo:w1 "/);
  c.close();

  const d = await connect();
  const t = Date.now();
  d.send(chatRequest('stall-stream-100', 'w1 w2 w3', { stream: true }));
  const [r] = await d.responses(1);
  assert.ok(Date.now() - t >= 95);
  const events = sseData(r.body);
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(events.slice(0, -1).map((e) => e.choices[0].delta.content ?? '').join(''), 'echo:w1 w2 w3');
  d.close();
});

// --- Resets ------------------------------------------------------------------------------------

test('reset answers the request with a TCP RST (ECONNRESET)', async () => {
  const c = await connect();
  c.send(chatRequest('reset', 'r'));
  await c.until(() => c.closed, 2000, 'close');
  assert.equal(c.error?.code, 'ECONNRESET');
  assert.equal(c.data.length, 0);
});

test('reset-mid-body sends the head and part of the body, then RST', async () => {
  const c = await connect();
  c.send(chatRequest('reset-mid-body', 'rm'));
  await c.until(() => c.closed, 2000, 'close');
  assert.equal(c.error?.code, 'ECONNRESET');
  const text = c.data.toString('latin1');
  const length = Number(/Content-Length: (\d+)/.exec(text)[1]);
  const got = text.length - (text.indexOf('\r\n\r\n') + 4);
  assert.ok(got > 0 && got < length, `${got} of ${length}`);

  const d = await connect();
  d.send(chatRequest('reset-mid-body', 'rm2', { stream: true }));
  await d.until(() => d.closed, 2000, 'close');
  assert.equal(d.error?.code, 'ECONNRESET');
  assert.equal(d.data.toString('latin1').match(/data: /g).length, 1);
});

// --- Size ----------------------------------------------------------------------------------------

test('huge-1m sends exactly 1 MiB of valid JSON with that Content-Length', async () => {
  const c = await connect();
  c.send(chatRequest('huge-1m', 'big'));
  const [r] = await c.responses(1, 5000);
  assert.equal(r.headers['content-length'], String(1024 * 1024));
  assert.equal(Buffer.byteLength(r.body), 1024 * 1024);
  const content = JSON.parse(r.body).choices[0].message.content;
  assert.match(content, /^echo:bigx+$/);
  c.send(chatRequest('ok', 'after huge'));
  await c.responses(2);
  c.close();
});

test('huge-chunked-300k sends exactly 300 KiB of valid JSON in chunks', async () => {
  const c = await connect();
  c.send(chatRequest('huge-chunked-300k', 'bigc'));
  const [r] = await c.responses(1, 5000);
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.headers['content-length'], undefined);
  assert.equal(Buffer.byteLength(r.body), 300 * 1024);
  assert.match(JSON.parse(r.body).choices[0].message.content, /^echo:bigcx+$/);
  assert.ok(c.data.toString('latin1').split('\r\n10000\r\n').length > 2, 'several 64 KiB chunks');
  c.close();
});

test('huge-event-200k sends one 200 KiB data line, then the finish event and [DONE]', async () => {
  const c = await connect();
  c.send(chatRequest('huge-event-200k', 'he', { stream: true }));
  const [r] = await c.responses(1, 5000);
  const [line] = r.body.split('\n\n');
  assert.equal(Buffer.byteLength(line), 200 * 1024);
  const events = sseData(r.body);
  assert.equal(events.length, 3);
  assert.match(events[0].choices[0].delta.content, /^echo:hex+$/);
  assert.equal(events[1].choices[0].finish_reason, 'stop');
  assert.equal(events[2], '[DONE]');
  c.close();
});

test('a reader that is slower than the writer gets the whole huge body (backpressure)', async () => {
  const c = await connect();
  c.socket.pause();
  c.send(chatRequest('huge-4m', 'slow'));
  await sleep(100);
  c.socket.resume();
  const [r] = await c.responses(1, 5000);
  assert.equal(Buffer.byteLength(r.body), 4 * 1024 * 1024);
  c.close();
});

test('endless streams until the peer leaves, then the connection is closed', async () => {
  const c = await connect();
  c.send(chatRequest('endless', 'e', { stream: true }));
  await c.until(() => c.data.length > 512 * 1024, 5000, '512 KiB');
  const text = c.data.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /text\/event-stream/);
  assert.match(text, /"delta":\{"role":"assistant","content":"tick0 "\}/);
  assert.ok(!text.includes('[DONE]'));
  const conn = lastConn();
  c.close();
  await eventually(() => up.closedAt(conn) !== undefined);
  assert.equal(up.openConnections(), 0);
});

test('endless-MS paces its events', async () => {
  const c = await connect();
  c.send(chatRequest('endless-20', 'e', { stream: true }));
  await sleep(150);
  const n = c.data.toString('latin1').match(/data: /g)?.length ?? 0;
  assert.ok(n >= 3 && n <= 10, `${n} events in 150 ms`);
  c.close();
});

// --- Status --------------------------------------------------------------------------------------

test('status-CODE answers with that status and an OpenAI-shaped error, keeping the connection', async () => {
  const c = await connect();
  const cases = [[429, 'requests', 'rate_limit_exceeded'], [500, 'server_error', null], [503, 'server_error', null], [400, 'invalid_request_error', null]];
  for (const [i, [code]] of cases.entries()) c.send(chatRequest(`status-${code}`, `s${i}`));
  const rs = await c.responses(cases.length);
  for (const [i, [code, type, errCode]] of cases.entries()) {
    assert.equal(rs[i].status, code);
    const { error } = JSON.parse(rs[i].body);
    assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(error.type, type);
    assert.equal(error.code, errCode);
  }
  assert.equal(new Set(up.requests.slice(-cases.length).map((q) => q.conn)).size, 1);
  c.close();
});

// --- Bookkeeping ---------------------------------------------------------------------------------

test('connections, openConnections, closedAt and clear track what happened', async () => {
  await eventually(() => up.openConnections() === 0);
  const before = up.connections;
  const a = await connect();
  const b = await connect();
  a.send(chatRequest('ok', 'a'));
  b.send(chatRequest('ok', 'b'));
  await a.responses(1);
  await b.responses(1);
  assert.equal(up.connections, before + 2);
  assert.equal(up.openConnections(), 2);
  const connA = up.requests.find((q) => q.body.includes('"a"') && q.conn > before).conn;
  assert.equal(up.closedAt(connA), undefined);
  const t = Date.now();
  a.close();
  await eventually(() => up.openConnections() === 1);
  assert.ok(up.closedAt(connA) >= t);
  up.clear();
  assert.equal(up.requests.length, 0);
  b.send(chatRequest('ok', 'b2'));
  await b.responses(2);
  assert.equal(up.requests.length, 1);
  b.close();
});

test('close() ends stalled connections too', async () => {
  const other = await startHostileUpstream();
  const c = net.connect(other.port, '127.0.0.1');
  c.on('error', () => {});
  c.write(chatRequest('stall-head', 'forever'));
  await eventually(() => other.requests.length === 1);
  await other.close();
  assert.equal(other.openConnections(), 0);
  assert.ok(other.closedAt(1) !== undefined);
  c.destroy();
});
