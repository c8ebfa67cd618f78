// `tollbooth top --once` against a running gateway while traffic flows: the frame shows the
// model's requests per second, the errors of a model whose only cloud is down, and that
// route's open breaker by name; a key without the metrics scope, a gateway with metrics off and
// one that is not there are each refused with a message that says so (exit 1); a bad option
// exits 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { BIN, startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

const ADMIN = 'top-admin-key-0123456789abcdef';
const APP = 'tk-' + 'T'.repeat(43);  // a client key: no metrics or admin scope
const ENV = { ...MOCK_KEYS, TB_APP_KEY: APP, TOLLBOOTH_LOG: 'warn' };
let mock;
let gw;

function config({ metrics = true } = {}) {
  const m = `http://127.0.0.1:${mock.port}`;
  return `
server: { listen: 127.0.0.1:0, workers: 2, admin_key: ${ADMIN} }
auth: keys
billing: { unpriced: allow }
metrics: { enabled: ${metrics} }
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
  down: { kind: openai, base_url: ${m}/down/v1, api_key: k }
routing: { attempts: 1, breaker: { failures: 2, min_requests: 100, cooldown: 10m } }
models:
  direct: { routes: [ { provider: openai } ] }
  broken: { routes: [ { provider: down } ] }
keys:
  app: { secret: env:TB_APP_KEY }
`;
}

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  gw = await startProcess(['serve', '-c', tempFile('gw.yaml', config())], { env: ENV, prefix: 'tollbooth' });
});
after(async () => { await stop(gw); await stop(mock); });

// Runs the binary to its end: its exit code and what it wrote.
function run(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function chat(model) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${APP}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

// The frame's tables (blocks whose first line starts with MODEL), as rows of header → cell.
function tables(frame) {
  return frame.split('\n\n').map((block) => block.split('\n').filter((l) => l))
    .filter((lines) => lines.length && lines[0].startsWith('MODEL'))
    .map(([head, ...rows]) => {
      const names = head.trim().split(/\s{2,}/);
      return rows.map((r) => Object.fromEntries(r.trim().split(/\s{2,}/).map((c, i) => [names[i], c])));
    });
}

test('--once while traffic flows: requests per second, errors and the open breaker', async () => {
  // Two failures open broken's breaker (for ten minutes): it is open in both scrapes.
  assert.equal(await chat('broken'), 503);
  assert.equal(await chat('broken'), 503);
  let flowing = true;
  const traffic = (async () => {
    let sent = 0;
    while (flowing) {
      await chat('direct');
      if (++sent % 4 === 0) await chat('broken');
    }
  })();
  const top = await run(['top', '--once', '--interval', '1s', '--url', gw.url, '--key', ADMIN]);
  flowing = false;
  await traffic;

  assert.equal(top.code, 0, top.stderr);
  const frame = top.stdout;
  assert.doesNotMatch(frame, /\x1b/, 'plain text: no ANSI escapes');
  assert.match(frame, new RegExp(`^tollbooth top  ${gw.url} `));
  assert.match(frame, /breakers {3}1 OPEN: down \(broken\)/);

  const [models, routes] = tables(frame);
  const direct = models.find((r) => r.MODEL === 'direct');
  assert.ok(Number(direct['REQ/S']) > 0, `direct's requests per second: ${frame}`);
  assert.equal(direct['NOT-2XX'], '0.0%');
  const broken = models.find((r) => r.MODEL === 'broken');
  assert.ok(Number(broken['5XX/S']) > 0, `broken's errors: ${frame}`);
  assert.equal(broken['NOT-2XX'], '100.0%');
  const requests = frame.match(/^requests {3}([\d.]+)\/s {2}not 2xx ([\d.]+)%/m);
  assert.ok(Number(requests[1]) > 0 && Number(requests[2]) > 0, frame);

  const down = routes.find((r) => r.MODEL === 'broken' && r.ROUTE === 'down');
  assert.equal(down.BREAKER, 'OPEN');
  const openai = routes.find((r) => r.MODEL === 'direct' && r.ROUTE === 'openai');
  assert.equal(openai.BREAKER, 'closed');
  assert.ok(Number(openai['ATTEMPTS/S']) > 0, frame);
});

test('the key given in the environment is used', async () => {
  const top = await run(['top', '--once', '--interval', '100ms', '--url', gw.url], { TOLLBOOTH_ADMIN_KEY: ADMIN });
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /^MODEL +REQ\/S/m);
});

test('a key without the metrics scope is told it needs it', async () => {
  for (const key of [APP, 'tk-' + 'X'.repeat(43)]) {
    const top = await run(['top', '--once', '--url', gw.url, '--key', key]);
    assert.equal(top.code, 1);
    assert.match(top.stderr, /the key needs the metrics scope/);
    assert.equal(top.stdout, '');
  }
});

test('a gateway with metrics off, or none at all, is an error that says so', async () => {
  const off = await startProcess(['serve', '-c', tempFile('off.yaml', config({ metrics: false }))],
    { env: ENV, prefix: 'tollbooth' });
  try {
    const top = await run(['top', '--once', '--url', off.url, '--key', ADMIN]);
    assert.equal(top.code, 1);
    assert.match(top.stderr, /metrics are off on this gateway/);
  } finally {
    await stop(off);
  }
  const gone = await run(['top', '--once', '--url', off.url, '--key', ADMIN]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot be reached/);
  // Not a gateway: the mock clouds have no /metrics.
  const mocked = await run(['top', '--once', '--url', mock.url, '--key', ADMIN]);
  assert.equal(mocked.code, 1);
  assert.match(mocked.stderr, /404: nothing there; is .* a tollbooth gateway\?/);
});

test('an answer that is not Prometheus text is an error naming the line', async () => {
  const page = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!DOCTYPE html>\n<html><body>sign in</body></html>\n');
  });
  await new Promise((r) => page.listen(0, '127.0.0.1', r));
  try {
    const top = await run(['top', '--once', '--url', `http://127.0.0.1:${page.address().port}`, '--key', ADMIN]);
    assert.equal(top.code, 1);
    assert.match(top.stderr, /not Prometheus text \(line 1: not a metric name: <!DOCTYPE html>\)/);
  } finally {
    page.close();
  }
});

test('bad options exit 2', async () => {
  for (const args of [['--interval', 'soon'], ['--interval', '10ms'], ['--url', 'ftp://x'], ['--nope']]) {
    const top = await run(['top', '--once', '--key', ADMIN, ...args]);
    assert.equal(top.code, 2, `${args.join(' ')}: ${top.stderr}`);
  }
  const nokey = await run(['top', '--once'], { TOLLBOOTH_ADMIN_KEY: '' });
  assert.equal(nokey.code, 2);
  assert.match(nokey.stderr, /TOLLBOOTH_ADMIN_KEY/);
});
