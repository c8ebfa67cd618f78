// A scripted hostile upstream for integration tests: a raw TCP server that speaks just enough
// HTTP/1.1 to read a request and then misbehaves in a chosen way. It is built on `net`, not
// `http`, because node:http would refuse to send most of these answers (or fix them up).
//
// Point a provider at it with `kind: openai` and `base_url: ${url}/<scenario>/v1`; the first path
// segment of each request picks the scenario. Connections are kept alive and requests on one
// connection are answered in order, so tests can watch what the gateway's keep-alive pool does.
// Each request read is pushed to `requests` as {conn, method, path, headers (lower-case names),
// body (string), at (ms), scenario}.
//
// Scenarios (MS is milliseconds; N is bytes, optionally suffixed k = KiB or m = MiB; huge sizes
// below the JSON envelope, about 300 bytes, give the bare envelope):
//
// | segment           | behaviour                                                              |
// |-------------------|------------------------------------------------------------------------|
// | ok                | a normal answer (see below); keep-alive                                |
// | early-hints[-C]   | C (default 1) `103 Early Hints` heads with a Link header, then 200     |
// | continue          | an unsolicited `100 Continue`, then the 200                            |
// | switching         | `101 Switching Protocols` (never asked for), then silence; left open   |
// | garbage           | bytes that are not HTTP, then FIN                                      |
// | bad-chunked       | a 200 chunked head, then a chunk size that is not hex; left open       |
// | short-body        | `Content-Length: 1000`, 10 body bytes, then FIN (premature EOF)        |
// | long-body[-MS]    | a normal answer followed by a whole second 200 whose content is        |
// |                   | `desync:…`, in the same write (or MS later, onto the idle              |
// |                   | connection); then keep-alive                                           |
// | both-lengths      | a 200 with both Content-Length (of the JSON) and chunked framing;      |
// |                   | then keep-alive                                                        |
// | stall-head[-MS]   | reads the request and never answers (or the normal answer after MS)    |
// | stall-body[-MS]   | a JSON 200 head with Content-Length and half the body, then stalls     |
// |                   | (or sends the rest after MS)                                           |
// | stall-stream[-MS] | an SSE 200 head and the first chunk event, then stalls (or the rest    |
// |                   | after MS)                                                              |
// | reset             | TCP RST (socket.resetAndDestroy) right after reading the request       |
// | reset-mid-body    | the head and part of the body (half the JSON, or the first SSE         |
// |                   | event), then RST 50 ms later (so the peer has read what was sent)      |
// | huge-N            | a JSON 200 of exactly N bytes (content padded with x), Content-Length  |
// | huge-chunked-N    | the same body with chunked framing                                     |
// | huge-event-N      | an SSE 200 whose first event's line (`data: {…}`) is N bytes, then the |
// |                   | finish event and [DONE]                                                |
// | endless[-MS]      | an SSE 200 of small chunk events until the peer goes away, as          |
// |                   | fast as the peer reads (or one event every MS)                         |
// | status-CODE[-RA]  | that status (200..599) with an OpenAI-shaped error body (and          |
// |                   | Retry-After: RA seconds when given); keep-alive                          |
// | anything else     | 404 with an OpenAI-shaped error naming the unknown scenario            |
//
// The normal answer is a chat.completion whose content is `echo:` + the content of the last
// message of the request, so concurrent clients can tell their answers apart (the raw body is
// echoed when it is not a chat request), with usage counted in words. With `"stream": true` it is
// SSE chat.completion.chunk events, one per word, a finish event, a usage event when
// stream_options.include_usage is set, then `data: [DONE]`. Streams and huge-chunked use chunked
// framing; everything else carries Content-Length. A request with `Connection: close` gets
// `Connection: close` and a FIN after its answer.
//
// Large bodies are written in 64 KiB pieces that wait for 'drain', so the upstream never runs
// ahead of the reader, and every write or pause ends quietly when the peer goes away.
import net from 'node:net';
import { STATUS_CODES } from 'node:http';

const PIECE = 64 * 1024;
const MAX_HEAD = 64 * 1024;
const RESET_DELAY_MS = 50;
const PAD = '<<PAD>>';  // marks where huge bodies are padded; JSON.stringify leaves it as is

// --- Starting the server -----------------------------------------------------------------------

export async function startHostileUpstream() {
  const requests = [];
  const open = new Map();  // conn -> socket, for openConnections() and close()
  const closed = new Map();  // conn -> ms timestamp of 'close'
  let connections = 0;

  // Not allowHalfOpen: a peer's FIN ends our side too, so a connection the gateway closes while
  // we stall (or while it is parked in its pool) is recorded as closed at once. The price is that
  // a client which half-closes after its request gets no answer; the gateway never does that.
  const server = net.createServer((socket) => {
    const conn = ++connections;
    open.set(conn, socket);
    socket.on('error', () => {});  // a peer that resets or leaves mid-write is part of the game
    socket.on('close', () => {
      open.delete(conn);
      closed.set(conn, Date.now());
    });
    serveConnection(socket, conn, requests);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() { return connections; },
    openConnections: () => open.size,
    closedAt: (conn) => closed.get(conn),
    // Empties `requests` in place (references stay valid); connection serials keep counting.
    clear() { requests.length = 0; },
    async close() {
      // Destroying the sockets also ends every stall, since pauses finish on 'close'. The server's
      // own 'close' can come before the sockets' (it counts them in destroy), so wait for both,
      // and closedAt() is complete when this resolves.
      const sockets = [...open.values()];
      const gone = sockets.map((s) => new Promise((resolve) => s.once('close', resolve)));
      for (const socket of sockets) socket.destroy();
      await Promise.all([...gone, new Promise((resolve) => server.close(() => resolve()))]);
    },
  };
}

// Reads requests one after another and hands each to its scenario, until a scenario gives up the
// connection or the peer goes away.
async function serveConnection(socket, conn, requests) {
  const reader = new Reader(socket);
  try {
    for (;;) {
      const req = await readRequest(reader, socket);
      if (req === null) {  // the peer is done (Node has usually ended our side already)
        socket.end();
        return;
      }
      req.conn = conn;
      req.at = Date.now();
      requests.push(req);
      if (!(await dispatch(socket, req))) return;
    }
  } catch (err) {
    if (err instanceof BadRequest) {
      await send(socket, errorResponse(400, err.message, { close: true }));
      socket.end();
    } else {
      if (!socket.destroyed) console.error('hostile-upstream:', err);
      socket.destroy();
    }
  }
}

// --- Reading requests --------------------------------------------------------------------------

class BadRequest extends Error {}

// Buffers what the socket delivers and lets the parser await exactly what it needs.
class Reader {
  #buf = Buffer.alloc(0);
  #eof = false;
  #wake = null;

  constructor(socket) {
    socket.on('data', (d) => {
      this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
      this.#notify();
    });
    const eof = () => { this.#eof = true; this.#notify(); };
    socket.on('end', eof);
    socket.on('close', eof);
  }

  get buffered() { return this.#buf.length; }

  #notify() {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  // Resolves true when more bytes arrived, false at EOF.
  #more() {
    if (this.#eof) return Promise.resolve(false);
    return new Promise((resolve) => { this.#wake = () => resolve(true); });
  }

  // The bytes before `delim` (consumed with it), or null at EOF.
  async until(delim, max) {
    for (;;) {
      const i = this.#buf.indexOf(delim);
      if (i >= 0) {
        const out = this.#buf.subarray(0, i);
        this.#buf = this.#buf.subarray(i + delim.length);
        return out;
      }
      if (this.#buf.length > max) throw new BadRequest('line or head too long');
      if (!(await this.#more())) return null;
    }
  }

  // Exactly n bytes, or null at EOF.
  async exact(n) {
    while (this.#buf.length < n) {
      if (!(await this.#more())) return null;
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
}

// One request, or null when the peer closed cleanly before starting another.
async function readRequest(reader, socket) {
  const headBytes = await reader.until('\r\n\r\n', MAX_HEAD);
  if (headBytes === null) {
    if (reader.buffered > 0) throw new BadRequest('connection closed inside a request head');
    return null;
  }
  const [line, ...lines] = headBytes.toString('latin1').split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) throw new BadRequest(`bad request line: ${JSON.stringify(line.slice(0, 100))}`);
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i <= 0) throw new BadRequest(`bad header line: ${JSON.stringify(l.slice(0, 100))}`);
    const name = l.slice(0, i).trim().toLowerCase();
    const value = l.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  // A client that asked to wait for 100 Continue would otherwise stall before sending the body.
  if (/100-continue/i.test(headers.expect ?? '')) await send(socket, head(100));

  let body;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    body = await readChunkedBody(reader);
  } else {
    const length = headers['content-length'] ?? '0';
    if (!/^\d+$/.test(length)) throw new BadRequest(`bad content-length: ${length}`);
    body = await reader.exact(Number(length));
  }
  if (body === null) throw new BadRequest('connection closed inside a request body');
  return { method: m[1], path: m[2], headers, body: body.toString('utf8') };
}

async function readChunkedBody(reader) {
  const parts = [];
  for (;;) {
    const sizeLine = await reader.until('\r\n', 4096);
    if (sizeLine === null) return null;
    const size = sizeLine.toString('latin1').split(';')[0].trim();
    if (!/^[0-9a-f]+$/i.test(size)) throw new BadRequest(`bad chunk size: ${size}`);
    const n = parseInt(size, 16);
    if (n === 0) break;
    const data = await reader.exact(n);
    const crlf = await reader.exact(2);
    if (data === null || crlf === null) return null;
    if (crlf.toString('latin1') !== '\r\n') throw new BadRequest('chunk not followed by CRLF');
    parts.push(data);
  }
  for (;;) {  // trailers, up to the empty line
    const trailer = await reader.until('\r\n', MAX_HEAD);
    if (trailer === null) return null;
    if (trailer.length === 0) return Buffer.concat(parts);
  }
}

// --- Scenarios ---------------------------------------------------------------------------------

// Each scenario returns true when the connection may carry the next request. Returning false
// leaves the socket as the scenario left it (closed, reset, or deliberately hanging open).
const SCENARIOS = [
  [/^ok$/, (x) => answer(x)],
  [/^early-hints(?:-(\d+))?$/, (x, count) => earlyHints(x, Number(count ?? 1))],
  [/^continue$/, async (x) => { await send(x.socket, head(100)); return answer(x); }],
  [/^switching$/, switching],
  [/^garbage$/, garbage],
  [/^bad-chunked$/, badChunked],
  [/^short-body$/, shortBody],
  [/^long-body(?:-(\d+))?$/, (x, ms) => longBody(x, optionalMs(ms))],
  [/^both-lengths$/, bothLengths],
  [/^stall-head(?:-(\d+))?$/, (x, ms) => stallHead(x, optionalMs(ms))],
  [/^stall-body(?:-(\d+))?$/, (x, ms) => stallBody(x, optionalMs(ms))],
  [/^stall-stream(?:-(\d+))?$/, (x, ms) => stallStream(x, optionalMs(ms))],
  [/^reset$/, ({ socket }) => { socket.resetAndDestroy(); return false; }],
  [/^reset-mid-body$/, resetMidBody],
  [/^huge-chunked-(\d+)([km]?)$/i, (x, n, unit) => huge(x, bytes(n, unit), { chunked: true })],
  [/^huge-event-(\d+)([km]?)$/i, (x, n, unit) => hugeEvent(x, bytes(n, unit))],
  [/^huge-(\d+)([km]?)$/i, (x, n, unit) => huge(x, bytes(n, unit), { chunked: false })],
  [/^endless(?:-(\d+))?$/, (x, ms) => endless(x, optionalMs(ms))],
  [/^status-([2-5]\d\d)(?:-(\d+))?$/, (x, code, ra) => status(x, Number(code), ra)],
];

function dispatch(socket, req) {
  const scenario = req.path.split('?')[0].split('/')[1] ?? '';
  req.scenario = scenario;
  const x = { socket, req, chat: parseChat(req.body), close: wantsClose(req) };
  for (const [re, run] of SCENARIOS) {
    const m = re.exec(scenario);
    if (m) return run(x, ...m.slice(1));
  }
  return sendAndFinish(x, errorResponse(404, `hostile-upstream: unknown scenario ${JSON.stringify(scenario)}`, x));
}

async function earlyHints(x, count) {
  for (let i = 0; i < count; i++) {
    await send(x.socket, head(103, { Link: `</hint-${i}.css>; rel=preload; as=style` }));
    await tick();  // separate writes, so the interim heads usually arrive in their own segments
  }
  return answer(x);
}

// A protocol switch the gateway never asked for; after it, nothing on this socket is HTTP.
async function switching({ socket }) {
  await send(socket, head(101, { Connection: 'Upgrade', Upgrade: 'websocket' }));
  return false;
}

async function garbage({ socket }) {
  await send(socket, Buffer.concat([
    Buffer.from('SSH-2.0-OpenSSH_9.6 definitely not HTTP\r\n'),
    Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x0d, 0x0a]),
  ]));
  socket.end();
  return false;
}

async function badChunked({ socket }) {
  await send(socket, head(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }) +
    'zz\r\n{"id":"chatcmpl-bad"}\r\n');
  return false;
}

async function shortBody({ socket }) {
  await send(socket, head(200, { 'Content-Type': 'application/json', 'Content-Length': 1000 }) +
    '{"id":"cha');
  socket.end();
  return false;
}

// The classic desync: a surplus response the next exchange on this connection would take as its
// own. With a delay it lands on what the gateway thinks is an idle pooled connection.
async function longBody(x, ms) {
  const first = renderAnswer(x.chat, 'echo:', x.close);
  const surplus = renderAnswer(x.chat, 'desync:', x.close);
  if (ms === undefined) {
    await send(x.socket, first + surplus);
  } else {
    await send(x.socket, first);
    if (!(await pause(x.socket, ms))) return false;
    await send(x.socket, surplus);
  }
  return finish(x);
}

// Chunked framing wins per RFC 9112 §6.3, but a message with both lengths should be treated as an
// error (smuggling); Content-Length is the JSON's length, so the two framings disagree.
async function bothLengths(x) {
  const json = JSON.stringify(completion(x.chat, `echo:${x.chat.marker}`));
  await send(x.socket, head(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(json),
    'Transfer-Encoding': 'chunked',
    ...closeHeader(x),
  }) + chunk(json) + LAST_CHUNK);
  return finish(x);
}

async function stallHead(x, ms) {
  if (!(await pause(x.socket, ms))) return false;
  return answer(x);
}

async function stallBody(x, ms) {
  const json = Buffer.from(JSON.stringify(completion(x.chat, `echo:${x.chat.marker}`)));
  const half = json.length >> 1;
  await send(x.socket, jsonHead(200, json.length, x));
  await send(x.socket, json.subarray(0, half));
  if (!(await pause(x.socket, ms))) return false;
  await send(x.socket, json.subarray(half));
  return finish(x);
}

async function stallStream(x, ms) {
  const [firstEvent, ...rest] = streamEvents(x.chat, `echo:${x.chat.marker}`);
  await send(x.socket, sseHead(x) + chunk(firstEvent));
  if (!(await pause(x.socket, ms))) return false;
  await send(x.socket, rest.map(chunk).join('') + LAST_CHUNK);
  return finish(x);
}

async function resetMidBody(x) {
  const content = `echo:${x.chat.marker}`;
  let partial;
  if (x.chat.stream) {
    partial = sseHead(x) + chunk(streamEvents(x.chat, content)[0]);
  } else {
    const json = JSON.stringify(completion(x.chat, content));
    partial = jsonHead(200, Buffer.byteLength(json), x) + json.slice(0, json.length >> 1);
  }
  // Wait until the bytes are in the kernel and give the peer time to read them: an RST discards
  // whatever it has not read yet, and the point is "some body, then RST".
  await new Promise((resolve) => x.socket.write(partial, resolve));
  if (await pause(x.socket, RESET_DELAY_MS)) x.socket.resetAndDestroy();
  return false;
}

async function huge(x, size, { chunked }) {
  const pieces = padded(JSON.stringify(completion(x.chat, `echo:${x.chat.marker}${PAD}`)), size);
  const framing = chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': pieces.total };
  await send(x.socket, head(200, { 'Content-Type': 'application/json', ...framing, ...closeHeader(x) }));
  if (!(await sendPieces(x.socket, pieces, chunked))) return false;
  if (chunked && !(await send(x.socket, LAST_CHUNK))) return false;
  return finish(x);
}

async function hugeEvent(x, size) {
  const content = `echo:${x.chat.marker}${PAD}`;
  const [event, ...closing] = streamEvents(x.chat, content, { oneEvent: true });
  const pieces = padded(event.slice(0, -2), size);  // the `data: {...}` line, without its blank line
  await send(x.socket, sseHead(x));
  if (!(await sendPieces(x.socket, pieces, true))) return false;
  // Only now does the event end; the finish event (and usage) and [DONE] follow.
  if (!(await send(x.socket, ['\n\n', ...closing].map(chunk).join('') + LAST_CHUNK))) return false;
  return finish(x);
}

// Never ends on its own: the test is whether the gateway stops reading (and closes) when its
// client leaves or a limit is hit. Without MS it yields to the event loop between batches so
// 'close' can be noticed even when the peer reads as fast as we write.
async function endless(x, ms) {
  const base = chunkBase(x.chat);
  await send(x.socket, sseHead(x));
  for (let i = 0; ; ) {
    let batch = '';
    for (let k = ms === undefined ? 64 : 1; k > 0; k--, i++) {
      const delta = i === 0 ? { role: 'assistant', content: 'tick0 ' } : { content: `tick${i} ` };
      batch += chunk(sse({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] }));
    }
    if (!(await send(x.socket, batch))) return false;
    if (!(await (ms === undefined ? tick().then(() => !x.socket.destroyed) : pause(x.socket, ms)))) return false;
  }
}

async function status(x, code, retryAfter) {
  if (code === 204 || code === 304) return sendAndFinish(x, head(code, closeHeader(x)));
  const message = code === 200 ? 'hostile-upstream: an error body with status 200' : `hostile-upstream: status ${code}`;
  return sendAndFinish(x, errorResponse(code, message, x, retryAfter));
}

// --- Answers -----------------------------------------------------------------------------------

async function answer(x) {
  return sendAndFinish(x, renderAnswer(x.chat, 'echo:', x.close));
}

async function sendAndFinish(x, bytes) {
  if (!(await send(x.socket, bytes))) return false;
  return finish(x);
}

// After a complete answer: FIN if the client asked for Connection: close, else keep serving.
function finish(x) {
  if (x.close) {
    x.socket.end();
    return false;
  }
  return !x.socket.destroyed;
}

// The well-behaved answer as one string; `prefix` lets long-body tell its surplus apart.
function renderAnswer(chat, prefix, close) {
  const content = prefix + chat.marker;
  const x = { close };
  if (chat.stream) return sseHead(x) + streamEvents(chat, content).map(chunk).join('') + LAST_CHUNK;
  const json = JSON.stringify(completion(chat, content));
  return jsonHead(200, Buffer.byteLength(json), x) + json;
}

// What the answer echoes and how it is shaped, from the request body.
function parseChat(body) {
  let json = null;
  try { json = JSON.parse(body); } catch { /* not JSON: echo the raw body */ }
  const last = Array.isArray(json?.messages) ? json.messages.at(-1) : undefined;
  let marker;
  if (last === undefined) marker = body;
  else if (typeof last?.content === 'string') marker = last.content;
  else if (Array.isArray(last?.content)) marker = last.content.map((p) => p?.text ?? '').join('');
  else marker = JSON.stringify(last?.content ?? null);
  return {
    marker,
    model: typeof json?.model === 'string' ? json.model : 'hostile-model',
    stream: json?.stream === true,
    includeUsage: json?.stream_options?.include_usage === true,
  };
}

let ids = 0;

function completion(chat, content) {
  return {
    id: `chatcmpl-hostile-${++ids}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: chat.model,
    system_fingerprint: 'fp_hostile',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usage(chat.marker, content),
  };
}

function chunkBase(chat) {
  return {
    id: `chatcmpl-hostile-${++ids}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: chat.model,
    system_fingerprint: 'fp_hostile',
  };
}

// SSE events (each ending in a blank line): one per word (the first also carries the role) or
// one for all of it, the finish event, the usage event when asked for, and [DONE]. As OpenAI
// does, every chunk carries `usage: null` when include_usage is set.
function streamEvents(chat, content, { oneEvent = false } = {}) {
  const base = chunkBase(chat);
  const extra = chat.includeUsage ? { usage: null } : {};
  const events = (oneEvent ? [content] : words(content)).map((w, i) => sse({
    ...base,
    choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: w } : { content: w }, logprobs: null, finish_reason: null }],
    ...extra,
  }));
  events.push(sse({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], ...extra }));
  if (chat.includeUsage) events.push(sse({ ...base, choices: [], usage: usage(chat.marker, content) }));
  events.push('data: [DONE]\n\n');
  return events;
}

// Splits before each word after whitespace, so the pieces concatenate back to `text` exactly.
function words(text) {
  return text.split(/(?<=\s)(?=\S)/);
}

function usage(prompt, completionText) {
  const count = (s) => s.split(/\s+/).filter(Boolean).length;
  const p = count(prompt);
  const c = count(completionText);
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}

function errorResponse(code, message, x, retryAfter) {
  let type = 'invalid_request_error';
  let errCode = null;
  if (code === 429) { type = 'requests'; errCode = 'rate_limit_exceeded'; }
  else if (code === 401) errCode = 'invalid_api_key';
  else if (code >= 500) type = 'server_error';
  const json = JSON.stringify({ error: { message, type, param: null, code: errCode } });
  const extra = retryAfter === undefined ? {} : { 'Retry-After': retryAfter };
  return head(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json),
    ...extra, ...closeHeader(x) }) + json;
}

// --- Bytes on the wire -------------------------------------------------------------------------

const LAST_CHUNK = '0\r\n\r\n';

function head(status, headers = {}) {
  let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of Object.entries(headers)) out += `${name}: ${value}\r\n`;
  return `${out}\r\n`;
}

function jsonHead(status, length, x) {
  return head(status, { 'Content-Type': 'application/json', 'Content-Length': length, ...closeHeader(x) });
}

function sseHead(x) {
  return head(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    'Transfer-Encoding': 'chunked',
    ...closeHeader(x),
  });
}

function closeHeader(x) {
  return x?.close ? { Connection: 'close' } : {};
}

function wantsClose(req) {
  return /(^|,)\s*close\s*(,|$)/i.test(req.headers.connection ?? '');
}

const sse = (obj) => `data: ${JSON.stringify(obj)}\n\n`;

// One chunk of chunked framing; never empty, since an empty chunk would end the body.
function chunk(data) {
  const length = Buffer.byteLength(data);
  if (length === 0) throw new Error('empty chunk');
  return typeof data === 'string'
    ? `${length.toString(16)}\r\n${data}\r\n`
    : Buffer.concat([Buffer.from(`${length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

// `text` with its last PAD replaced by as many x's as make it `total` bytes (never fewer than
// none), as pieces to write in turn. The last PAD is ours: callers append it to the content, and
// nothing after the content (finish_reason, usage numbers) can contain it.
function padded(text, total) {
  const i = text.lastIndexOf(PAD);
  const prefix = Buffer.from(text.slice(0, i));
  const suffix = Buffer.from(text.slice(i + PAD.length));
  const pad = Math.max(0, total - prefix.length - suffix.length);
  return { prefix, pad, suffix, total: prefix.length + pad + suffix.length };
}

const X_PIECE = Buffer.alloc(PIECE, 'x');

// Writes prefix, padding and suffix in PIECE-sized writes, each waiting for the peer to drain.
async function sendPieces(socket, { prefix, pad, suffix }, chunked) {
  const frame = chunked ? chunk : (b) => b;
  if (prefix.length && !(await send(socket, frame(prefix)))) return false;
  for (let left = pad; left > 0; left -= PIECE) {
    if (!(await send(socket, frame(left >= PIECE ? X_PIECE : X_PIECE.subarray(0, left))))) return false;
  }
  return suffix.length === 0 || send(socket, frame(suffix));
}

// Writes and, when the socket's buffer is full, waits for 'drain'. Resolves false once the peer is
// gone, so callers stop instead of writing into a dead socket.
function send(socket, data) {
  if (socket.destroyed || socket.writableEnded) return Promise.resolve(false);
  if (socket.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve(!socket.destroyed);
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

// Waits `ms` (forever when undefined) or until the socket closes; resolves whether it is still open.
function pause(socket, ms) {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(false);
    const done = () => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve(!socket.destroyed);
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    socket.on('close', done);
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

const optionalMs = (ms) => (ms === undefined ? undefined : Number(ms));

function bytes(n, unit) {
  return Number(n) * ({ k: 1024, m: 1024 * 1024 }[unit.toLowerCase()] ?? 1);
}
