// Hot reload (docs/operations.md, "Reload"): SIGHUP and POST /admin/v1/reload load the config
// file again. A file with problems is refused with what `tollbooth check` says of it and the
// old config keeps serving; a change only a restart applies is refused naming it; a good file
// takes effect for new requests while requests in flight finish, with no request dropped, and
// the rate-limit windows and the breakers keep their state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { BIN, startProcess, stop, eventually, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

const ADMIN = 'reload-admin-key-0123456789';
const ENV = { ...MOCK_KEYS, LIMITED_KEY: 'tk-' + 'L'.repeat(43), BOT_KEY: 'tk-' + 'B'.repeat(43) };
let mock;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
});
after(async () => { await stop(mock); });

function config(dir, { models = '', maxBody = '64KiB', extra = '', slow = true } = {}) {
  const m = `http://127.0.0.1:${mock.port}`;
  return `
server: { listen: 127.0.0.1:0, workers: 2, admin_key: ${ADMIN}, max_body_bytes: ${maxBody} }
auth: keys
store: { sqlite: ${join(dir, 'keys.db')} }
billing: { unpriced: allow }
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY }
  azure-east: { kind: azure, endpoint: ${m}/azure-east, api_key: env:MOCK_AZURE_KEY, api_version: 2024-10-21 }
  down: { kind: openai, base_url: ${m}/down/v1, api_key: k }
  slow: { kind: openai, base_url: ${m}/slow/v1, api_key: k }
routing: { attempts: 1, breaker: { failures: 2, min_requests: 100, cooldown: 10m } }
models:
  direct: { routes: [ { provider: openai } ] }
  broken: { routes: [ { provider: down } ] }
${slow ? '  slow: { routes: [ { provider: slow } ] }' : ''}
${models}
keys:
  limited: { secret: env:LIMITED_KEY, rpm: 3 }
  bot: { secret: env:BOT_KEY }
${extra}`;
}

async function startGateway(dir, text) {
  const path = join(dir, 'tollbooth.yaml');
  writeFileSync(path, text);
  const gw = await startProcess(['serve', '-c', path], { prefix: 'tollbooth', env: ENV });
  gw.config = path;
  return gw;
}

async function chat(gw, key, model = 'direct', extra = {}) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function reload(gw) {
  const res = await fetch(`${gw.url}/admin/v1/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: await res.json() };
}

async function metric(gw, line) {
  const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const text = await res.text();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

// Waits until the metric reads `want` (a SIGHUP's reload runs on its own thread).
async function until(gw, line, want) {
  for (let i = 0; i < 200; i++) {
    if ((await metric(gw, line)) === want) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${line} never became ${want} (is ${await metric(gw, line)})`);
}

test('a file with problems is refused with check\'s words, and the old config keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-reload-'));
  const gw = await startGateway(dir, config(dir));
  try {
    assert.equal((await chat(gw, ENV.BOT_KEY)).status, 200);
    // Two problems: a route to a provider nobody declared, and a duration that is not one.
    writeFileSync(gw.config, config(dir, {
      models: '  fresh: { routes: [ { provider: nowhere } ] }',
      extra: 'limits: { default_output_tokens: lots }',
    }));
    const check = spawnSync(BIN, ['check', '-c', gw.config], { env: { ...process.env, ...ENV }, encoding: 'utf8' });
    assert.equal(check.status, 1);
    const r = await reload(gw);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'config_invalid');
    assert.equal(r.body.error.type, 'invalid_request_error');
    // Every line `check` printed, in the refusal.
    for (const line of check.stderr.trim().split('\n')) assert.ok(r.body.error.message.includes(line), line);
    assert.match(r.body.error.message, /nowhere/);
    assert.equal((await chat(gw, ENV.BOT_KEY)).status, 200, 'the old config serves');
    assert.equal((await chat(gw, ENV.BOT_KEY, 'fresh')).status, 404, 'the broken file\'s model is not in force');

    // SIGHUP: the same refusal, in the log; still the first generation.
    gw.child.kill('SIGHUP');
    await until(gw, 'tollbooth_config_reloads_total{result="refused"}', 2);
    assert.equal(await metric(gw, 'tollbooth_config_generation'), 1);
    await eventually(async () =>  // the counter moves just before the line is logged
      assert.match(gw.stderr(), /config reload refused; generation 1 stays in force: .*nowhere/));
    assert.equal((await chat(gw, ENV.BOT_KEY)).status, 200, 'still serving after SIGHUP');

    // A change only a restart applies is refused, naming it.
    writeFileSync(gw.config, config(dir, { maxBody: '1MiB' }));
    const restart = await reload(gw);
    assert.equal(restart.status, 409);
    assert.equal(restart.body.error.code, 'restart_required');
    assert.match(restart.body.error.message, /server\.max_body_bytes/);

    // The admin scope is needed.
    const anon = await fetch(`${gw.url}/admin/v1/reload`, { method: 'POST', headers: { authorization: `Bearer ${ENV.BOT_KEY}` } });
    assert.equal(anon.status, 403);
  } finally {
    await stop(gw);
  }
});

test('a good file takes effect under load with no request dropped; limits and breakers keep their state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-reload-'));
  const gw = await startGateway(dir, config(dir));
  let running = true;
  let load = [];
  try {
    // State the reload must keep: a window that has refused, and an open breaker.
    for (let i = 0; i < 3; i++) assert.equal((await chat(gw, ENV.LIMITED_KEY)).status, 200);
    assert.equal((await chat(gw, ENV.LIMITED_KEY)).status, 429);
    for (let i = 0; i < 2; i++) await chat(gw, ENV.BOT_KEY, 'broken');
    assert.equal(await metric(gw, 'tollbooth_route_up{model="broken",route="down"}'), 0);

    // Load: 8 clients, streamed and not, until told to stop.
    const statuses = new Map();
    const client = async (n) => {
      for (let i = 0; running; i++) {
        const stream = (n + i) % 2 === 0;
        const r = await chat(gw, ENV.BOT_KEY, 'direct',
          stream ? { stream: true, stream_options: { include_usage: true } } : {});
        const ok = r.status === 200 && (!stream || r.text.includes('data: [DONE]'));
        const k = ok ? 'ok' : `${r.status} ${r.text.slice(0, 200)}`;
        statuses.set(k, (statuses.get(k) ?? 0) + 1);
      }
    };
    load = Array.from({ length: 8 }, (_, n) => client(n));
    await new Promise((r) => setTimeout(r, 300));

    // A request on the first config that outlives it: its model is gone from the next one.
    const inFlight = chat(gw, ENV.BOT_KEY, 'slow');
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(gw.config, config(dir, {
      slow: false,
      models: '  fresh: { routes: [ { provider: azure-east, deployment: gpt4o-prod } ] }',
    }));
    const r = await reload(gw);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result, 'applied');
    assert.equal(r.body.generation, 2);
    // In force for the next request, at once.
    assert.equal((await chat(gw, ENV.BOT_KEY, 'fresh')).status, 200);
    assert.equal((await chat(gw, ENV.BOT_KEY, 'slow')).status, 404, 'slow is gone for new requests');
    assert.equal((await inFlight).status, 200, 'the request in flight finished on its config');
    await new Promise((r) => setTimeout(r, 300));

    // And by SIGHUP: a model taken away is gone.
    writeFileSync(gw.config, config(dir));
    gw.child.kill('SIGHUP');
    await until(gw, 'tollbooth_config_generation', 3);
    assert.equal((await chat(gw, ENV.BOT_KEY, 'fresh')).status, 404);
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await Promise.all(load);
    load = [];
    const ok = statuses.get('ok') ?? 0;
    statuses.delete('ok');
    assert.deepEqual(Object.fromEntries(statuses), {}, 'every request under load was answered whole');
    assert.ok(ok > 50, `${ok} requests under load`);

    // The limited key's window survived both reloads; the open breaker too.
    assert.equal((await chat(gw, ENV.LIMITED_KEY)).status, 429);
    writeFileSync(gw.config, config(dir, { models: '  other: { routes: [ { provider: openai } ] }' }));
    assert.equal((await reload(gw)).status, 200);
    assert.equal(await metric(gw, 'tollbooth_route_up{model="broken",route="down"}'), 0,
      'the breaker opened before the reloads is still open');
    assert.equal(await metric(gw, 'tollbooth_config_reloads_total{result="applied"}'), 3);
  } finally {
    running = false;
    await Promise.allSettled(load);
    await stop(gw);
  }
});

// A request on a connection of its own (no keep-alive), as curl sends one: consecutive ones
// reach either worker.
function post(gw, path, key, body) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw.url}${path}`, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, connection: 'close' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body === undefined ? '' : JSON.stringify(body));
  });
}

test('a hundred reloads between requests leave no upstream connection or descriptor behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-reload-'));
  const gw = await startGateway(dir, config(dir));
  const descriptors = () => readdirSync(`/proc/${gw.child.pid}/fd`).length;
  try {
    assert.equal((await chat(gw, ENV.BOT_KEY)).status, 200);
    const before = descriptors();
    for (let i = 0; i < 100; i++) {
      // Each config's connection targets are its own: the old ones' pooled connections must
      // close when the last request on that config has ended.
      writeFileSync(gw.config, config(dir, i % 2 ? {} : { models: '  other: { routes: [ { provider: openai } ] }' }));
      assert.equal(await post(gw, '/admin/v1/reload', ADMIN), 200);
      const chatBody = { model: 'direct', messages: [{ role: 'user', content: 'hi' }] };
      assert.equal(await post(gw, '/v1/chat/completions', ENV.BOT_KEY, chatBody), 200);
    }
    const after = descriptors();
    // One pooled connection per worker for the config in force, give or take a few.
    assert.ok(after <= before + 6, `descriptors ${before} -> ${after}`);
  } finally {
    await stop(gw);
  }
});
