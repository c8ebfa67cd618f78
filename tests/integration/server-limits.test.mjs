// The server's own limits under pressure: file descriptors running out, max_connections, a
// drain that must end at drain_timeout, a port another process holds, and a body over
// max_body_bytes that the client is still uploading. Regression tests of defects found under
// hostile conditions (docs/security.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { BIN, startProcess, stop, eventually, tempFile, chat, sseEvents } from './harness.mjs';
import { startHostileUpstream } from './hostile-upstream.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ask = (text) => [{ role: 'user', content: text }];

let up;
before(async () => { up = await startHostileUpstream(); });
after(async () => { await up.close(); });

function config(server = '') {
  return `
server:
  listen: 127.0.0.1:0
  workers: 1
${server}
auth: none
billing: { unpriced: allow }  # these tests are not about prices
providers:
  ok:
    kind: openai
    base_url: ${up.url}/ok/v1
    api_key: k
  trickle:
    kind: openai
    base_url: ${up.url}/endless-100/v1
    api_key: k
  stalled:
    kind: openai
    base_url: ${up.url}/stall-head/v1
    api_key: k
models:
  ok:
    routes: [{ provider: ok }]
  trickle:
    routes: [{ provider: trickle }]
  stalled:
    routes: [{ provider: stalled }]
`;
}

// Starts `tollbooth serve` through sh, so a test can set ulimits first.
function serveWith(shellPrefix, server = '') {
  const cfg = tempFile('gw.yaml', config(server));
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${shellPrefix} exec "$0" serve -c "$1"`, BIN, cfg],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/tollbooth listening on [0-9.]+:(\d+)/);
      if (m) resolve({ child, port: Number(m[1]), url: `http://127.0.0.1:${m[1]}`, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

// user + system CPU seconds the process has used so far.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

// One GET /healthz on `socket` (kept alive); resolves with the status, or null after `ms`.
function healthz(socket, ms = 1000) {
  return new Promise((resolve) => {
    let got = '';
    const timer = setTimeout(() => { socket.off('data', onData); resolve(null); }, ms);
    const onData = (d) => {
      got += d;
      if (got.includes('\r\n\r\n') && got.includes('"status"')) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(Number(got.split(' ')[1]));
      }
    };
    socket.on('data', onData);
    socket.write('GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n');
  });
}

test('out of file descriptors: accept backs off, warns a few times, and serves again once descriptors free up', async () => {
  // Soft and hard limit 64, max_connections far above it: the descriptor limit is what bites.
  const gw = await serveWith('ulimit -n 64;', '  max_connections: 100000');
  const sockets = [];
  try {
    for (let i = 0; i < 90; i++) sockets.push(await connect(gw.port).catch(() => null));
    await sleep(300);
    const cpuBefore = cpuSeconds(gw.child.pid);
    await sleep(2000);
    const cpu = cpuSeconds(gw.child.pid) - cpuBefore;
    assert.ok(cpu < 0.5, `the accept loop used ${cpu.toFixed(2)} s of CPU in 2 s (it must not spin)`);
    const warnings = gw.stderr().split('\n').filter((l) => /accept failed/.test(l));
    assert.ok(warnings.length >= 1 && warnings.length <= 3, `${warnings.length} accept warnings`);
    assert.match(warnings[0], /Too many open files.*ulimit -n/);
    for (const s of sockets) s?.destroy();
    await sleep(1200);  // the longest pause is 1 s
    const r = await fetch(`${gw.url}/healthz`);
    assert.equal(r.status, 200, 'serving again');
  } finally {
    for (const s of sockets) s?.destroy();
    await stop(gw);
  }
});

test('the soft descriptor limit is raised to the hard one at start', async () => {
  const gw = await serveWith('ulimit -Sn 256;');
  try {
    const line = gw.stderr().match(/file descriptors: (\d+); max_connections: (\d+)/);
    assert.ok(line, gw.stderr());
    const hard = Number(readFileSync(`/proc/${gw.child.pid}/limits`, 'utf8')
      .match(/Max open files\s+(\d+)\s+(\d+)/)[2]);
    assert.equal(Number(line[1]), hard);
    assert.ok(hard > 256);
    assert.equal(Number(line[2]), Math.floor(hard / 2), 'max_connections auto is half of them');
  } finally { await stop(gw); }
});

test('max_connections: the connection over the limit waits unserved until another closes', async () => {
  const gw = await startProcess(['serve', '-c', tempFile('gw.yaml', config('  max_connections: 3'))],
    { prefix: 'tollbooth' });
  const held = [];
  try {
    for (let i = 0; i < 3; i++) {
      held.push(await connect(gw.port));
      assert.equal(await healthz(held[i]), 200);
    }
    const fourth = await connect(gw.port);  // the kernel completes the handshake; we do not serve it
    assert.equal(await healthz(fourth, 600), null, 'not served while 3 are open');
    const answered = healthz(fourth, 3000);
    held[0].destroy();
    assert.equal(await answered, 200, 'served once a slot freed');
    assert.match(gw.stderr(), /max_connections \(3\) reached/);
    fourth.destroy();
  } finally {
    for (const s of held) s.destroy();
    await stop(gw);
  }
});

test('drain: busy streams and a stalled upstream do not hold the exit past drain_timeout; cut streams end with an error event', async () => {
  const gw = await startProcess(['serve', '-c', tempFile('gw.yaml', config('  drain_timeout: 2s'))],
    { prefix: 'tollbooth' });
  const streams = await Promise.all([1, 2].map(() =>
    chat(gw.url, { model: 'trickle', messages: ask('x'), stream: true })));
  const stalled = chat(gw.url, { model: 'stalled', messages: ask('x') });
  for (const s of streams) assert.equal(s.status, 200);
  await sleep(300);
  const t0 = Date.now();
  const exited = stop(gw, 'SIGTERM');
  const bodies = streams.map((s) => sseEvents(s));
  const code = await exited;
  const took = Date.now() - t0;
  assert.equal(code, 0);
  assert.ok(took < 2600, `exited ${took} ms after SIGTERM with drain_timeout 2 s`);
  for (const events of await Promise.all(bodies)) {
    const last = events.at(-1);
    assert.equal(last.error?.code, 'gateway_shutdown', JSON.stringify(last));
    assert.match(last.error.message, /shutting down/);
  }
  const cut = await stalled;
  assert.equal(cut.status, 503);
  assert.equal((await cut.json()).error.code, 'gateway_shutdown');
});

test('a second serve or mock on a port in use refuses to start and says so', async () => {
  const gw = await startProcess(['serve', '-c', tempFile('gw.yaml', config())], { prefix: 'tollbooth' });
  try {
    const second = tempFile('second.yaml', config().replace('127.0.0.1:0', `127.0.0.1:${gw.port}`));
    const run = (args) => new Promise((resolve) => {
      const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
    });
    for (const args of [['serve', '-c', second], ['mock', '-l', `127.0.0.1:${gw.port}`]]) {
      const r = await run(args);
      assert.notEqual(r.code, 0, `${args[0]} started on a busy port: ${r.out}`);
      assert.doesNotMatch(r.out, /listening/);
      assert.match(r.err, new RegExp(`127\\.0\\.0\\.1:${gw.port} is already in use`));
    }
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200, 'the first one serves on');
  } finally { await stop(gw); }
});

test('a body over max_body_bytes still being uploaded: fetch reads the 413 every time', async () => {
  const gw = await startProcess(['serve', '-c', tempFile('gw.yaml', config('  max_body_bytes: 1MiB'))],
    { prefix: 'tollbooth' });
  try {
    const body = JSON.stringify({ model: 'ok', messages: ask('x'.repeat(9 * 1024 * 1024)) });
    for (let i = 0; i < 3; i++) {
      const r = await chat(gw.url, body);
      assert.equal(r.status, 413);
      assert.match((await r.json()).error.message, /max_body_bytes/);
    }
    await eventually(async () =>
      assert.match(gw.stderr(), / - - 413 /, 'the refusal has its access-log line'));
  } finally { await stop(gw); }
});
