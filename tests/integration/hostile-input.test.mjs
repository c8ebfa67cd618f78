// Hostile clients: malformed, ambiguous and abusive requests sent over raw TCP (fetch/undici
// refuse to send most of them). The gateway is a security boundary, so every test checks three
// things: the status it answers with (or that it closes), that it keeps serving afterwards, and
// that nothing that must be refused reached the upstream (the mock records what it receives).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

// --- The stack ---------------------------------------------------------------------------------

// Short timeouts and small limits, so slow-client and size tests run in about a second each.
function gatewayYaml(mockPort, server) {
  return `
server:
  listen: 127.0.0.1:0
  workers: 2
${server}
  admin_key: test-admin
auth: none
billing: { unpriced: allow }  # these tests are not about prices
providers:
  openai:
    kind: openai
    base_url: http://127.0.0.1:${mockPort}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
models:
  gpt-4o:
    routes:
      - { provider: openai }
`;
}
const MAIN_SERVER = `  max_body_bytes: 64KiB
  max_header_bytes: 8KiB
  read_timeout: 1500ms
  idle_timeout: 5s`;
// A second gateway for what the main one's settings make slow or impossible: an idle connection
// closed after 1 s, and a 1 MB model name (over the main gateway's 64 KiB body limit).
const SIDE_SERVER = `  max_body_bytes: 2MiB
  max_header_bytes: 8KiB
  read_timeout: 1500ms
  idle_timeout: 1s`;

let mock;
let gw;
let side;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  try {
    [gw, side] = await Promise.all([MAIN_SERVER, SIDE_SERVER].map((srv) =>
      startProcess(['serve', '-c', tempFile('gw.yaml', gatewayYaml(mock.port, srv))],
        { env: MOCK_KEYS, prefix: 'tollbooth' })));
  } catch (e) {
    await stop(mock);
    throw e;
  }
});
after(async () => { await stop(gw); await stop(side); await stop(mock); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function mockCount() {
  const r = await fetch(`${mock.url}/_mock/requests`);
  return (await r.json()).requests.length;
}
async function clearMock() {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
}

// --- Raw HTTP ----------------------------------------------------------------------------------

// Strings are sent as latin1, so '\x00' or '\xff' in a string is exactly that one byte.
const bytes = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1'))));
const END = Symbol('half-close');  // a step that sends our FIN

// Parses the responses at the start of `buf`. A response without Content-Length or chunked
// framing runs to EOF, so it is complete only once `eof`.
function parseResponses(buf, eof) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end < 0) break;
    const [statusLine, ...lines] = buf.subarray(pos, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
    if (!m) break;
    const status = Number(m[1]);
    const headers = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      const name = l.slice(0, i).trim().toLowerCase();
      const value = l.slice(i + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    let p = end + 4;
    let body = Buffer.alloc(0);
    let complete = true;
    if (status >= 200 && status !== 204 && status !== 304) {
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const parts = [];
        complete = false;
        for (;;) {
          const lineEnd = buf.indexOf('\r\n', p);
          if (lineEnd < 0) break;
          const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
          if (!Number.isFinite(size) || buf.length < lineEnd + 4 + size) break;
          parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
          p = lineEnd + 4 + size;
          if (size === 0) { complete = true; break; }
        }
        body = Buffer.concat(parts);
      } else if (headers['content-length'] !== undefined) {
        const n = Number(headers['content-length']);
        complete = buf.length >= p + n;
        body = buf.subarray(p, Math.min(buf.length, p + n));
        p += n;
      } else {
        body = buf.subarray(p);
        p = buf.length;
        complete = eof;
      }
    }
    out.push({ status, headers, body, complete });
    if (!complete) break;
    pos = p;
  }
  return out;
}

// Opens a connection, plays `input` (bytes, or a list of byte chunks, pauses in ms and END), and
// collects the answer until the server closes, or `responses` complete final answers have come
// (then it waits a little longer to see whether the server closes), or `timeout`.
// Returns { status, headers, body, closed, responses, interim, answeredAfter, closedAfter, ... }
// where status/headers/body are the first final (non-1xx) answer's and times count in ms from
// the first byte sent.
function exchange(input, { port = gw.port, timeout = 4000, responses: want = 1, closeWait } = {}) {
  return new Promise((resolve) => {
    const steps = Array.isArray(input) ? input : [input];
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let closed = false;
    let error = null;
    let done = false;
    let t0 = performance.now();
    let answeredAfter = null;
    let closedAfter = null;
    let grace = null;
    const finish = (timedOut = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      sock.destroy();
      const all = parseResponses(data, closed);
      const finals = all.filter((r) => r.status >= 200);
      const first = finals[0];
      resolve({
        status: first?.status ?? null,
        headers: first?.headers ?? {},
        body: first?.body ?? Buffer.alloc(0),
        responses: finals,
        interim: all.filter((r) => r.status < 200),
        closed, error, timedOut, raw: data, answeredAfter, closedAfter,
      });
    };
    const timer = setTimeout(() => finish(true), timeout);
    const check = () => {
      if (grace || done) return;
      const finals = parseResponses(data, false).filter((r) => r.status >= 200 && r.complete);
      if (finals.length < want) return;
      const last = finals[want - 1];
      // Answers that announce a close should be followed by a FIN; a refusal that does not
      // announce one gets a short look too, so a silent close is still seen.
      const wait = closeWait ?? (/close/i.test(last.headers.connection ?? '') ? 2000 : last.status >= 400 ? 150 : 0);
      if (wait === 0) finish(); else grace = setTimeout(() => finish(), wait);
    };
    const onClosed = () => {
      if (!closed) { closed = true; closedAfter = performance.now() - t0; }
      finish();
    };
    sock.on('data', (d) => {
      answeredAfter ??= performance.now() - t0;
      data = Buffer.concat([data, d]);
      check();
    });
    sock.on('end', onClosed);
    sock.on('close', onClosed);
    sock.on('error', (e) => { error = e.code ?? String(e); onClosed(); });
    sock.once('connect', async () => {
      t0 = performance.now();
      for (const s of steps) {
        if (done || closed) break;
        if (typeof s === 'number') await sleep(s);
        else if (s === END) sock.end();
        else sock.write(bytes(s));
      }
    });
  });
}

const show = (r) => `status=${r.status} closed=${r.closed} error=${r.error} timedOut=${r.timedOut} ` +
  `bytes=${JSON.stringify(r.raw.subarray(0, 400).toString('latin1'))}`;

// Asserts an OpenAI-shaped error body in valid UTF-8 and returns its `error` object.
function assertErrorBody(r) {
  assert.ok(r.body.length > 0, `an error body; ${show(r)}`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(r.body);  // throws on bad UTF-8
  const json = JSON.parse(text);
  assert.deepEqual(Object.keys(json), ['error']);
  assert.deepEqual(Object.keys(json.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof json.error.message, 'string');
  assert.equal(typeof json.error.type, 'string');
  return json.error;
}

// A new connection gets 200 from /healthz: the gateway survived whatever came before.
async function assertServing(port = gw.port) {
  const r = await exchange('GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n', { port });
  assert.equal(r.status, 200, `the gateway still serves /healthz; ${show(r)}`);
}

// Sends a request that must be refused: checks the status (one of `status`; null means "closed
// without an answer"), the error body, the close, that nothing reached the upstream (waiting
// `settle` ms for anything a smuggled request would have caused), and that the gateway serves.
async function refused(input, { status, close = true, settle = 150, ...opts }) {
  await clearMock();
  const r = await exchange(input, opts);
  const allowed = [status].flat();
  assert.ok(allowed.includes(r.status), `expected ${allowed.join(' or ')}; ${show(r)}`);
  if (r.status === null) assert.ok(r.closed, `closed without an answer; ${show(r)}`);
  if (r.body.length > 0 || r.status !== null) assertErrorBody(r);
  if (close) assert.ok(r.closed, `the gateway closes the connection; ${show(r)}`);
  await sleep(settle);
  assert.equal(await mockCount(), 0, 'nothing reached the upstream');
  await assertServing(opts.port);
  return r;
}

const CHAT = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

// A complete POST /v1/chat/completions with a correct Content-Length.
function chatRequest(body = CHAT, { target = '/v1/chat/completions', headers = [] } = {}) {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return bytes(`POST ${target} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n` +
    `Authorization: Bearer client-key\r\n${headers.map((h) => `${h}\r\n`).join('')}` +
    `Content-Length: ${b.length}\r\n\r\n`, b);
}

// The same POST with a hand-written framing head: `framing` are the header lines that say how
// long the body is.
function framed(framing, body, version = 'HTTP/1.1') {
  return bytes(`POST /v1/chat/completions ${version}\r\nHost: gw\r\nContent-Type: application/json\r\n` +
    `${framing.map((h) => `${h}\r\n`).join('')}\r\n`, body);
}

const chunk = (s) => `${Buffer.byteLength(s, 'latin1').toString(16)}\r\n${s}\r\n`;

// --- Control -----------------------------------------------------------------------------------

test('control: a well-formed chat over a raw socket is served and reaches the mock exactly once', async () => {
  // Proves the probes below can see an upstream request when one happens.
  await clearMock();
  const r = await exchange(chatRequest());
  assert.equal(r.status, 200, show(r));
  assert.equal(JSON.parse(r.body.toString()).object, 'chat.completion');
  assert.ok(r.headers['x-request-id'], 'every answer carries x-request-id');
  await sleep(50);
  assert.equal(await mockCount(), 1);
  await assertServing();
});

// --- Request line ------------------------------------------------------------------------------

test('request line: plain-text garbage is 400 and closes', async () => {
  await refused('HELLO THERE, GATEWAY\r\n\r\n', { status: 400 });
});

test('request line: binary garbage ending in a blank line is 400 and closes', async () => {
  await refused('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xfe\xed\r\n\r\n', { status: 400 });
});

test('request line: HTTP/0.9 style "GET /" without a version is refused (400 or close)', async () => {
  await refused('GET /healthz\r\n\r\n', { status: [400, null] });
});

test('request line: a lowercase protocol name (http/1.1) is 400 and closes', async () => {
  await refused('GET /healthz http/1.1\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: a version without a minor digit (HTTP/11) is 400 and closes', async () => {
  await refused('GET /healthz HTTP/11\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: a version with a letter (HTTP/1.x) is 400 and closes', async () => {
  await refused('GET /healthz HTTP/1.x\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: a fourth token after the version is 400 and closes', async () => {
  await refused('GET /healthz HTTP/1.1 extra\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: two spaces between method and target is 400 and closes', async () => {
  await refused('GET  /healthz HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: a NUL byte in the target is 400 and closes', async () => {
  await refused('GET /heal\x00thz HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: a control byte (0x01) in the target is 400 and closes', async () => {
  await refused('POST /v1/chat/\x01completions HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n', { status: 400 });
});

test('request line: a DEL byte (0x7f) in the method is 400 and closes', async () => {
  await refused('GE\x7fT /healthz HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 400 });
});

test('request line: HTTP/2.0 is 505', async () => {
  await refused('GET /healthz HTTP/2.0\r\nHost: gw\r\n\r\n', { status: 505 });
});

test('request line: HTTP/3.0 is 505', async () => {
  await refused(chatRequest().toString('latin1').replace('HTTP/1.1', 'HTTP/3.0'), { status: 505 });
});

test('request line: a 10 KB target (head over max_header_bytes) is 431', async () => {
  await refused(`GET /${'a'.repeat(10 * 1024)} HTTP/1.1\r\nHost: gw\r\n\r\n`, { status: 431 });
});

// --- Headers -----------------------------------------------------------------------------------

test('headers: a NUL byte in a header value is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: ['X-Trace: a\x00b'] }), { status: 400 });
});

test('headers: a control byte (0x01) in a header value is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: ['X-Trace: a\x01b'] }), { status: 400 });
});

test('headers: a bare CR inside a header value is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: ['X-Trace: a\rX-Injected: b'] }), { status: 400 });
});

test('headers: a space before the colon ("Host : x") is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: ['X-Trace : a'] }), { status: 400 });
});

test('headers: a header line without a colon is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: ['ThisLineHasNoColon'] }), { status: 400 });
});

test('headers: an empty header name (": value") is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: [': value'] }), { status: 400 });
});

test('headers: a header name with a non-token character is 400 and closes', async () => {
  await refused(chatRequest(CHAT, { headers: ['X(Trace): a'] }), { status: 400 });
});

test('headers: HTTP/1.1 without Host is 400', async () => {
  const body = Buffer.from(CHAT);
  await refused(bytes(`POST /v1/chat/completions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body),
    { status: 400 });
});

test('headers: two Host headers in HTTP/1.1 are 400', async () => {
  await refused(chatRequest(CHAT, { headers: ['Host: evil.example'] }), { status: 400 });
});

test('headers: two Host headers in HTTP/1.0 are 400', async () => {
  await refused('GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n', { status: 400 });
});

test('headers: HTTP/1.0 without Host is served', async () => {
  const r = await exchange('GET /healthz HTTP/1.0\r\n\r\n');
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(JSON.parse(r.body.toString()), { status: 'ok' });
  await assertServing();
});

test('headers: one 9 KB header (head over max_header_bytes) is 431', async () => {
  await refused(chatRequest(CHAT, { headers: [`X-Big: ${'y'.repeat(9 * 1024)}`] }), { status: 431 });
});

test('headers: 500 small headers (head over max_header_bytes) are 431', async () => {
  const many = Array.from({ length: 500 }, (_, i) => `X-Hdr-${i}: abcdefgh`);
  await refused(chatRequest(CHAT, { headers: many }), { status: 431 });
});

// --- Framing and smuggling ---------------------------------------------------------------------

test('framing: Content-Length together with Transfer-Encoding is 400 and closes', async () => {
  const body = chunk(CHAT) + '0\r\n\r\n';
  await refused(framed([`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'], body), { status: 400 });
});

test('framing: CL.TE smuggling never reaches the mock', async () => {
  // A Content-Length reader sees one request; a chunked reader sees an empty body and then a
  // second, hidden chat request. Neither may reach the upstream.
  const hidden = chatRequest().toString('latin1');
  const body = `0\r\n\r\n${hidden}`;
  await refused(framed([`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'], body),
    { status: 400, settle: 400 });
});

test('framing: TE.CL smuggling never reaches the mock', async () => {
  // A chunked reader sees one chunk holding a chat request; a Content-Length reader stops after
  // the chunk-size line and takes the hidden request as the next one on the connection.
  const hidden = chatRequest().toString('latin1');
  const size = `${hidden.length.toString(16)}\r\n`;
  const body = `${size}${hidden}\r\n0\r\n\r\n`;
  await refused(framed([`Content-Length: ${size.length}`, 'Transfer-Encoding: chunked'], body),
    { status: 400, settle: 400 });
});

test('framing: TE.CL smuggling with the headers in the other order never reaches the mock', async () => {
  const hidden = chatRequest().toString('latin1');
  const size = `${hidden.length.toString(16)}\r\n`;
  const body = `${size}${hidden}\r\n0\r\n\r\n`;
  await refused(framed(['Transfer-Encoding: chunked', `Content-Length: ${size.length}`], body),
    { status: 400, settle: 400 });
});

test('framing: two different Content-Lengths are 400 and close', async () => {
  await refused(framed([`Content-Length: ${CHAT.length}`, 'Content-Length: 5'], CHAT), { status: 400 });
});

test('framing: two different Content-Lengths in one field ("N, 5") are 400 and close', async () => {
  await refused(framed([`Content-Length: ${CHAT.length}, 5`], CHAT), { status: 400 });
});

test('framing: a non-numeric Content-Length is 400 and closes', async () => {
  await refused(framed(['Content-Length: abc'], CHAT), { status: 400 });
});

test('framing: a negative Content-Length is 400 and closes', async () => {
  await refused(framed(['Content-Length: -1'], CHAT), { status: 400 });
});

test('framing: a Content-Length with a plus sign is 400 and closes', async () => {
  await refused(framed([`Content-Length: +${CHAT.length}`], CHAT), { status: 400 });
});

test('framing: a 30-digit Content-Length is 400 and closes', async () => {
  await refused(framed([`Content-Length: ${'9'.repeat(30)}`], CHAT), { status: 400 });
});

test('framing: Transfer-Encoding: gzip alone is refused (400 or 501) and closes', async () => {
  await refused(framed(['Transfer-Encoding: gzip'], CHAT), { status: [400, 501] });
});

test('framing: Transfer-Encoding: gzip, chunked is refused (400 or 501) and closes', async () => {
  await refused(framed(['Transfer-Encoding: gzip, chunked'], chunk(CHAT) + '0\r\n\r\n'), { status: [400, 501] });
});

test('framing: Transfer-Encoding: chunked, identity (chunked not last) is refused and closes', async () => {
  await refused(framed(['Transfer-Encoding: chunked, identity'], chunk(CHAT) + '0\r\n\r\n'), { status: [400, 501] });
});

test('framing: an unknown transfer coding (xchunked) is refused (400 or 501) and closes', async () => {
  await refused(framed(['Transfer-Encoding: xchunked'], chunk(CHAT) + '0\r\n\r\n'), { status: [400, 501] });
});

test('framing: HTTP/1.0 with Transfer-Encoding: chunked is 400 and closes', async () => {
  await refused(framed(['Transfer-Encoding: chunked'], chunk(CHAT) + '0\r\n\r\n', 'HTTP/1.0'), { status: 400 });
});

test('framing: a non-hex chunk size is 400 and closes', async () => {
  await refused(framed(['Transfer-Encoding: chunked'], `zz\r\n${CHAT}\r\n0\r\n\r\n`), { status: 400 });
});

test('framing: a chunk size that overflows 64 bits is 400 and closes', async () => {
  await refused(framed(['Transfer-Encoding: chunked'], `10000000000000000\r\n${CHAT}\r\n0\r\n\r\n`), { status: 400 });
});

test('framing: a chunk not followed by CRLF is 400 and closes', async () => {
  const size = CHAT.length.toString(16);
  await refused(framed(['Transfer-Encoding: chunked'], `${size}\r\n${CHAT}XX0\r\n\r\n`), { status: 400 });
});

test('framing: garbage after the last chunk (a trailer line without a colon) is 400 and closes', async () => {
  await refused(framed(['Transfer-Encoding: chunked'], `${chunk(CHAT)}0\r\nthis is not a trailer\r\n\r\n`), { status: 400 });
});

// --- Bodies ------------------------------------------------------------------------------------

test('bodies: Content-Length over max_body_bytes is 413, read by a client that keeps sending (lingering close)', async () => {
  // The whole 256 KiB body follows the head at once: a gateway that closed with it unread
  // would reset the connection and the client would never read the 413.
  const body = Buffer.alloc(256 * 1024, 'x');
  const r = await refused(framed([`Content-Length: ${body.length}`], body), { status: 413 });
  assert.match(assertErrorBody(r).message, /max_body_bytes/);
  assert.notEqual(r.error, 'ECONNRESET', 'no reset before the client read the answer');
});

test('bodies: a chunked body growing past max_body_bytes is 413 and closes', async () => {
  const piece = 'x'.repeat(16 * 1024);
  const body = Array.from({ length: 8 }, () => chunk(piece)).join('') + '0\r\n\r\n';
  const r = await refused(framed(['Transfer-Encoding: chunked'], body), { status: 413 });
  assert.notEqual(r.error, 'ECONNRESET');
});

test('bodies: Expect: 100-continue with a too-large Content-Length is 413 at once, without 100 Continue', async () => {
  // Only the head is sent: the client waits for permission that must not come.
  const r = await refused(framed(['Expect: 100-continue', `Content-Length: ${1024 * 1024}`], ''),
    { status: 413, timeout: 3000 });
  assert.equal(r.interim.length, 0, 'no 100 Continue before the 413');
  assert.ok(r.answeredAfter < 1000, `answered at once, not after a timeout (${r.answeredAfter} ms)`);
});

test('bodies: Expect: 100-continue with an acceptable body gets 100 Continue, then the answer', async () => {
  await clearMock();
  const r = await exchange([framed(['Expect: 100-continue', `Content-Length: ${CHAT.length}`], ''), 300, CHAT]);
  assert.equal(r.interim[0]?.status, 100, show(r));
  assert.equal(r.status, 200, show(r));
  assert.equal(await mockCount(), 1);
  await assertServing();
});

test('bodies: a body cut short by the client\'s FIN is never sent upstream', async () => {
  // The client promises 1000 bytes, sends part of a valid JSON object and half-closes.
  await refused([framed(['Content-Length: 1000'], CHAT.slice(0, 30)), 50, END],
    { status: [400, null] });
});

// --- JSON --------------------------------------------------------------------------------------

// A chat body that must be refused with `status` before anything goes upstream.
async function badChat(body, status = 400, opts = {}) {
  const r = await refused(chatRequest(body, opts), { status, close: false, ...opts });
  return { r, error: assertErrorBody(r) };
}
const MSGS = [{ role: 'user', content: 'hi' }];

test('json: a body that is not JSON is 400', async () => { await badChat('this is not json'); });
test('json: truncated JSON is 400', async () => { await badChat('{"model":"gpt-4o","messages":[{"role":"user","con'); });
test('json: an empty body is 400', async () => { await badChat(''); });
test('json: trailing bytes after the JSON object are 400', async () => { await badChat(`${CHAT} {"model":"x"}`); });
test('json: a JSON array is 400', async () => { await badChat(JSON.stringify([{ model: 'gpt-4o', messages: MSGS }])); });
test('json: a JSON string is 400', async () => { await badChat('"gpt-4o"'); });
test('json: a missing model is 400', async () => { await badChat(JSON.stringify({ messages: MSGS })); });
test('json: a numeric model is 400', async () => { await badChat(JSON.stringify({ model: 4, messages: MSGS })); });
test('json: messages that are not an array are 400', async () => {
  await badChat(JSON.stringify({ model: 'gpt-4o', messages: { role: 'user', content: 'hi' } }));
});
test('json: a non-boolean stream is 400', async () => {
  await badChat(JSON.stringify({ model: 'gpt-4o', messages: MSGS, stream: 'yes' }));
});

test('json: a duplicate top-level model key is 400 naming model', async () => {
  // Which "model" wins depends on the parser: a gateway and its upstream disagreeing on it is
  // a way to get a model routed and billed as another.
  const { error } = await badChat('{"model":"o1-pro","messages":[{"role":"user","content":"hi"}],"model":"gpt-4o"}');
  assert.equal(error.param, 'model');
  assert.equal(error.code, 'duplicate_key');
  assert.match(error.message, /`model`/);
});

test('json: a duplicate key inside stream_options is 400 naming it', async () => {
  const { error } = await badChat('{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,' +
    '"stream_options":{"include_usage":false,"include_usage":true}}');
  assert.equal(error.param, 'stream_options.include_usage');
});

test('json: 10,000 nested arrays in an unknown field are refused or served, and the server survives', async () => {
  // Either the gateway refuses the depth itself (400, nothing upstream) or it serves the
  // request: forwards it once and relays the upstream's answer (the mock's parser may itself
  // answer 400). What must not happen is a crash or a hang.
  await clearMock();
  const deep = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"x_deep":${'['.repeat(10000)}${']'.repeat(10000)}}`;
  const r = await exchange(chatRequest(deep));
  assert.ok([200, 400].includes(r.status), show(r));
  if (r.status === 400) assertErrorBody(r);
  await sleep(100);
  const forwarded = await mockCount();
  assert.ok(forwarded <= 1, `sent upstream ${forwarded} times`);
  if (forwarded === 0) assert.equal(r.status, 400, 'a request not sent upstream was refused');
  await assertServing();
});

test('json: a 60 KB model name is 404 with an error body under 2 KB', async () => {
  const { r } = await badChat(JSON.stringify({ model: 'm'.repeat(60 * 1024), messages: MSGS }), 404);
  assert.ok(r.body.length < 2048, `error body is ${r.body.length} bytes`);
});

test('json: a 1 MB model name is 404 with an error body under 2 KB', async () => {
  // On the side gateway: 1 MB is over the main one's 64 KiB body limit.
  const { r } = await badChat(JSON.stringify({ model: 'm'.repeat(1024 * 1024), messages: MSGS }), 404,
    { port: side.port, timeout: 8000 });
  assert.ok(r.body.length < 2048, `error body is ${r.body.length} bytes`);
});

test('json: a body with invalid UTF-8 bytes is 400 (JSON is UTF-8) with a valid UTF-8 error body', async () => {
  // RFC 8259 §8.1: JSON text is UTF-8; the parser refuses other bytes before any lookup.
  const body = bytes('{"model":"gpt-\xff\xfe\xc3-x","messages":[{"role":"user","content":"hi"}]}');
  const { error } = await badChat(body, 400);  // badChat decodes the body with fatal UTF-8
  assert.equal(error.type, 'invalid_request_error');
});

test('json: a model name with a newline is 404 and makes exactly one access-log line', async () => {
  const { r } = await badChat(JSON.stringify({ model: 'nope\n[info] forged access line', messages: MSGS }), 404);
  const id = r.headers['x-request-id'];
  assert.ok(id, 'the answer names its request id');
  const lines = () => gw.stderr().split('\n').filter((l) => l.includes(id));
  for (let i = 0; i < 20 && lines().length === 0; i++) await sleep(50);
  assert.equal(lines().length, 1, `access log lines for ${id}: ${JSON.stringify(lines())}`);
  assert.doesNotMatch(gw.stderr(), /\n\[info\] forged access line/);
});

// --- Slow clients ------------------------------------------------------------------------------

test('slow: a head that starts and stalls is 408 about read_timeout after its first byte, then closes', async () => {
  const r = await refused('POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n', { status: 408, timeout: 4000 });
  assert.ok(r.answeredAfter > 1200 && r.answeredAfter < 3000, `408 after ${r.answeredAfter} ms`);
});

test('slow: a valid head dribbled a byte every 200 ms is 408, never served', async () => {
  // 30 bytes at 5 per second take 6 s, far over read_timeout: the dribbler must not hold the
  // connection for as long as it likes by sending just enough.
  const head = 'GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n';
  const steps = [...head].flatMap((ch) => [ch, 200]);
  const r = await refused(steps, { status: 408, timeout: 5000 });
  assert.ok(r.answeredAfter > 1200 && r.answeredAfter < 3000, `408 after ${r.answeredAfter} ms`);
});

test('slow: a body that stalls after its head is 408, then closes', async () => {
  const r = await refused(framed([`Content-Length: ${CHAT.length}`], CHAT.slice(0, 20)), { status: 408, timeout: 4000 });
  assert.ok(r.answeredAfter > 1200 && r.answeredAfter < 3000, `408 after ${r.answeredAfter} ms`);
});

test('slow: a connection that sends nothing is closed after idle_timeout, without an answer', async () => {
  // The side gateway has idle_timeout: 1s.
  const r = await exchange([], { port: side.port, timeout: 4000 });
  assert.ok(r.closed, show(r));
  assert.equal(r.raw.length, 0, `nothing is sent to a silent client; ${show(r)}`);
  assert.ok(r.closedAfter > 700 && r.closedAfter < 3000, `closed after ${r.closedAfter} ms`);
  await assertServing(side.port);
});

// --- Targets -----------------------------------------------------------------------------------

test('targets: absolute-form http://host:port/v1/chat/completions is served like the path', async () => {
  await clearMock();
  const r = await exchange(chatRequest(CHAT, { target: `http://127.0.0.1:${gw.port}/v1/chat/completions` }));
  assert.equal(r.status, 200, show(r));
  assert.equal(JSON.parse(r.body.toString()).object, 'chat.completion');
  assert.equal(await mockCount(), 1);
  await assertServing();
});

test('targets: OPTIONS * is 400', async () => {
  await refused('OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 400, close: false });
});

test('targets: authority-form CONNECT host:443 is refused (400 or 405), no tunnel', async () => {
  const r = await refused('CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n',
    { status: [400, 405], close: false });
  assert.notEqual(r.status, 200);
});

test('targets: an unknown path is 404 unknown_url', async () => {
  const r = await refused('GET /v1/nothing-here HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 404, close: false });
  assert.equal(assertErrorBody(r).code, 'unknown_url');
});

test('targets: a 7 KB path is 404 with a short error body', async () => {
  const r = await refused(`GET /v1/${'p'.repeat(7 * 1024)} HTTP/1.1\r\nHost: gw\r\n\r\n`, { status: 404, close: false });
  assert.equal(assertErrorBody(r).code, 'unknown_url');
  assert.ok(r.body.length < 2048, `error body is ${r.body.length} bytes`);
});

test('targets: a path with raw non-UTF-8 bytes is 404 with a valid UTF-8 JSON body', async () => {
  const r = await refused('GET /v1/\xff\xfe\xc3\x28 HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 404, close: false });
  assert.equal(assertErrorBody(r).code, 'unknown_url');
});

// --- Methods -----------------------------------------------------------------------------------

test('methods: GET /v1/chat/completions is 405 with Allow: POST', async () => {
  const r = await refused('GET /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 405, close: false });
  assert.equal(r.headers.allow, 'POST');
});

test('methods: PUT /v1/responses is 405 with Allow naming both of its methods', async () => {
  const r = await refused('PUT /v1/responses HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n', { status: 405, close: false });
  assert.equal(r.headers.allow, 'POST, GET');
});

test('kept responses: odd ids and methods get their 404 or 405, and nothing reaches a cloud', async () => {
  // This gateway has no store: a well-formed id is "not found", saying why.
  let r = await refused('GET /v1/responses/resp_1 HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 404, close: false });
  assert.equal(assertErrorBody(r).code, 'response_not_found');
  assert.match(assertErrorBody(r).message, /keeps no responses/);
  r = await refused('PUT /v1/responses/resp_1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n', { status: 405, close: false });
  assert.equal(r.headers.allow, 'GET, DELETE');
  r = await refused('DELETE /v1/responses/resp_1/input_items HTTP/1.1\r\nHost: gw\r\n\r\n', { status: 405, close: false });
  assert.equal(r.headers.allow, 'GET');
  for (const path of ['/v1/responses/a/b', '/v1/responses//input_items', `/v1/responses/${'x'.repeat(300)}`]) {
    r = await refused(`GET ${path} HTTP/1.1\r\nHost: gw\r\n\r\n`, { status: 404, close: false });
    assert.equal(assertErrorBody(r).code, 'unknown_url', path);
  }
});

test('methods: POST /v1/models is 405', async () => {
  await refused(chatRequest(CHAT, { target: '/v1/models' }), { status: 405, close: false });
});

test('methods: an unknown method token is 404 or 405 and not sent upstream', async () => {
  const body = Buffer.from(CHAT);
  await refused(bytes(`BREW /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body),
    { status: [404, 405], close: false });
});

// --- Pipelining --------------------------------------------------------------------------------

test('pipelining: two valid requests in one write get two answers, in order, on one connection', async () => {
  await clearMock();
  const r = await exchange(bytes(chatRequest(), 'GET /v1/models/gpt-4o HTTP/1.1\r\nHost: gw\r\n\r\n'), { responses: 2 });
  assert.deepEqual(r.responses.map((x) => x.status), [200, 200], show(r));
  assert.equal(JSON.parse(r.responses[0].body.toString()).object, 'chat.completion');
  assert.equal(JSON.parse(r.responses[1].body.toString()).id, 'gpt-4o');
  assert.equal(await mockCount(), 1);
  await assertServing();
});

test('pipelining: a valid request followed by garbage gets 200, then 400 and a close', async () => {
  await clearMock();
  const r = await exchange(bytes(chatRequest(), 'NOT HTTP AT ALL\r\n\r\n'), { responses: 2 });
  assert.deepEqual(r.responses.map((x) => x.status), [200, 400], show(r));
  assert.ok(r.closed, show(r));
  await sleep(100);
  assert.equal(await mockCount(), 1, 'only the valid request went upstream');
  await assertServing();
});

// --- Authorization -----------------------------------------------------------------------------

test('auth: a lowercase "bearer" admin key sees x-tollbooth-plan, a wrong key does not', async () => {
  const admin = await exchange(chatRequest(CHAT).toString('latin1')
    .replace('Authorization: Bearer client-key', 'authorization: bearer test-admin'));
  assert.equal(admin.status, 200, show(admin));
  assert.ok(admin.headers['x-tollbooth-plan'], `the admin sees the plan; ${show(admin)}`);
  const wrong = await exchange(chatRequest(CHAT).toString('latin1')
    .replace('Authorization: Bearer client-key', 'Authorization: Bearer wrong'));
  assert.equal(wrong.status, 200, show(wrong));
  assert.equal(wrong.headers['x-tollbooth-plan'], undefined);
  await assertServing();
});

// --- Afterwards --------------------------------------------------------------------------------

test('after everything: both gateway processes are still running and answer /healthz', async () => {
  assert.equal(gw.child.exitCode, null);
  assert.equal(gw.child.signalCode, null);
  assert.equal(side.child.exitCode, null);
  await assertServing();
  await assertServing(side.port);
});
