// Virtual keys end to end: the admin API makes them, the gateway holds every request to its
// key's and team's scopes, models, regions and rate limits, and hostile credentials get a 401
// that leaks nothing into the logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { BIN, startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

const ADMIN = 'test-admin-key-for-keys';
let mock;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { prefix: 'mock', env: MOCK_KEYS });
});
after(() => stop(mock));

// A gateway with keys on, its store in `dir`; `extra` is added at the end (teams:, keys:).
function keysConfig(dir, { workers = 2, extra = '', store = '' } = {}) {
  const m = `http://127.0.0.1:${mock.port}`;
  return `
server: { listen: 127.0.0.1:0, workers: ${workers}, admin_key: ${ADMIN}, drain_timeout: 1s }
auth: keys
store: { sqlite: ${join(dir, 'keys.db')}, refresh: 200ms ${store} }
billing: { unpriced: allow }  # these tests are not about prices
providers:
  openai: { kind: openai, base_url: ${m}/openai/v1, api_key: env:MOCK_OPENAI_KEY, region: us-east-1 }
  # Fails every request: a request it is tried for fails (attempts: 1), so a 200 through
  # \`anywhere\` shows a region restriction kept it out.
  down-eu: { kind: openai, base_url: ${m}/down/v1, api_key: k, region: eu-west-1 }
  slow: { kind: openai, base_url: ${m}/slow/v1, api_key: k, region: us-east-1 }
  staller: { kind: openai, base_url: ${m}/staller/v1, api_key: k, region: us-east-1, idle_timeout: 300ms }
  down: { kind: openai, base_url: ${m}/down/v1, api_key: k, region: us-east-1 }
routing: { attempts: 1 }
models:
  direct: { routes: [ { provider: openai } ] }
  other: { routes: [ { provider: openai } ] }
  anywhere: { routes: [ { provider: down-eu }, { provider: openai } ] }
  slow: { routes: [ { provider: slow } ] }
  stalls: { routes: [ { provider: staller } ] }
  broken: { routes: [ { provider: down } ] }
${extra}`;
}

async function startGateway(dir, opts = {}, env = {}) {
  const path = join(dir, `gw-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, keysConfig(dir, opts));
  const gw = await startProcess(['serve', '-c', path], { prefix: 'tollbooth', env: { ...MOCK_KEYS, ...env } });
  gw.config = path;
  return gw;
}

async function admin(gw, method, path, body, key = ADMIN) {
  const res = await fetch(`${gw.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function chat(gw, key, { model = 'direct', headers = {}, body = {} } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (key !== undefined) h.authorization = `Bearer ${key}`;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: h,
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function createKey(gw, fields = {}) {
  const r = await admin(gw, 'POST', '/keys', fields);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.key.id, secret: r.body.secret, view: r.body.key };
}

test('no key, an unknown key and a revoked key get 401 in OpenAI\'s shape; a good key is served', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    const none = await chat(gw, undefined);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'invalid_api_key');
    assert.equal(none.body.error.type, 'authentication_error');
    const unknown = await chat(gw, 'tk-' + 'A'.repeat(43));
    assert.equal(unknown.status, 401);
    const key = await createKey(gw, { alias: 'first' });
    assert.match(key.secret, /^tk-[A-Za-z0-9_-]{43}$/);
    const ok = await chat(gw, key.secret);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.object, 'chat.completion');
    // The Azure SDKs send the key as api-key.
    const azure = await chat(gw, undefined, { headers: { 'api-key': key.secret } });
    assert.equal(azure.status, 200);
    assert.equal((await admin(gw, 'POST', `/keys/${key.id}/revoke`, {})).status, 200);
    const revoked = await chat(gw, key.secret);
    assert.equal(revoked.status, 401);
    assert.match(revoked.body.error.message, /revoked/);
    // The secret is stored only as a hash.
    assert.ok(!readFileSync(join(dir, 'keys.db')).includes(key.secret));
  } finally {
    await stop(gw);
  }
});

test('scopes, model lists and regions of a key and its team are all enforced (403 naming the rule)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    assert.equal((await admin(gw, 'POST', '/teams', { id: 'research', models: ['direct', 'anywhere'], regions: ['us-*'] })).status, 201);
    const models = await createKey(gw, { team: 'research', scopes: ['models'] });
    const chatOnly = await createKey(gw, { team: 'research', scopes: ['chat'], models: ['direct', 'other', 'anywhere'] });

    const noScope = await chat(gw, models.secret);
    assert.equal(noScope.status, 403);
    assert.equal(noScope.body.error.code, 'scope_not_allowed');
    assert.match(noScope.body.error.message, /chat/);

    // The key allows `other`, its team does not: both must.
    const teamSaysNo = await chat(gw, chatOnly.secret, { model: 'other' });
    assert.equal(teamSaysNo.status, 403);
    assert.equal(teamSaysNo.body.error.code, 'model_not_allowed');
    assert.match(teamSaysNo.body.error.message, /research/);
    assert.equal((await chat(gw, chatOnly.secret, { model: 'direct' })).status, 200);
    // A model that does not exist is refused like one that does: no probing what is served.
    const unknownModel = await chat(gw, chatOnly.secret, { model: 'no-such-model' });
    assert.equal(unknownModel.status, 403);
    assert.equal(unknownModel.body.error.code, 'model_not_allowed');
    const unrestrictedUnknown = await chat(gw, (await createKey(gw, {})).secret, { model: 'no-such-model' });
    assert.equal(unrestrictedUnknown.status, 404);

    // The team's regions reach the planner: `anywhere` is served by its us-east-1 route only
    // (its eu-west-1 route, first in order, fails every request).
    const regional = await chat(gw, chatOnly.secret, { model: 'anywhere' });
    assert.equal(regional.status, 200, JSON.stringify(regional.body));
    const unrestricted = await createKey(gw, {});
    assert.ok((await chat(gw, unrestricted.secret, { model: 'anywhere' })).status >= 500);

    // `route --explain --key` shows the plan that key gets, from the same store.
    const body = tempFile('req.json', JSON.stringify({ model: 'anywhere', messages: [{ role: 'user', content: 'hi' }] }));
    const explained = spawnSync(BIN, ['route', '-c', gw.config, '--explain', body, '--key', chatOnly.id],
      { encoding: 'utf8', env: { ...process.env, ...MOCK_KEYS } });
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(explained.stdout, new RegExp(`key: ${chatOnly.id} \\(team research\\), regions: us-\\*`));
    assert.match(explained.stdout, /down-eu.*region/);
    const otherModel = tempFile('req2.json', JSON.stringify({ model: 'other', messages: [{ role: 'user', content: 'hi' }] }));
    const refused = spawnSync(BIN, ['route', '-c', gw.config, '--explain', otherModel, '--key', chatOnly.id], { encoding: 'utf8' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /team research may not use model other \(clients would get 403\)/);

    // /v1/models lists only the models the key may use.
    const list = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${models.secret}` } });
    assert.equal(list.status, 200);
    assert.deepEqual((await list.json()).data.map((m) => m.id).sort(), ['anywhere', 'direct']);
    const listDenied = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${chatOnly.secret}` } });
    assert.equal(listDenied.status, 403);

    // The admin API needs scope admin; a wrong method is a 405 with Allow.
    const notAdmin = await admin(gw, 'GET', '/keys', undefined, chatOnly.secret);
    assert.equal(notAdmin.status, 403);
    const wrongMethod = await fetch(`${gw.url}/admin/v1/keys`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, POST');
  } finally {
    await stop(gw);
  }
});

test('routing details and error insides are shown only to keys with routing:explain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    const plain = await createKey(gw, {});
    const explain = await createKey(gw, { scopes: ['chat', 'routing:explain'] });
    const a = await chat(gw, plain.secret);
    assert.equal(a.headers.get('x-tollbooth-plan'), null);
    const b = await chat(gw, explain.secret);
    assert.match(b.headers.get('x-tollbooth-plan') ?? '', /openai/);

    const hidden = await chat(gw, plain.secret, { model: 'broken' });
    assert.ok(hidden.status >= 500, JSON.stringify(hidden.body));
    assert.doesNotMatch(hidden.body.error.message, /down|openai|route/i);
    const shown = await chat(gw, explain.secret, { model: 'broken' });
    assert.equal(shown.status, hidden.status);
    assert.match(shown.body.error.message, /down/);

    // A stream that stalls after it began ends with an in-band error: the upstream's name
    // only for routing:explain.
    const streamed = async (key) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'stalls', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 200);
      return res.text();
    };
    const plainStream = await streamed(plain.secret);
    assert.match(plainStream, /"error"/);
    assert.match(plainStream, /stalled/);
    assert.doesNotMatch(plainStream, /staller/);
    assert.match(await streamed(explain.secret), /upstream staller: .*stalled/);
  } finally {
    await stop(gw);
  }
});

test('64 concurrent clients against rpm 100 get exactly 100 answers and 429s with the headers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    const key = await createKey(gw, { rpm: 100 });
    let ok = 0, limited = 0, other = 0;
    let sample429;
    const worker = async () => {
      for (let i = 0; i < 3; i++) {
        const r = await chat(gw, key.secret);
        if (r.status === 200) {
          ok++;
          assert.equal(r.headers.get('x-ratelimit-limit-requests'), '100');
          assert.match(r.headers.get('x-ratelimit-remaining-requests'), /^\d+$/);
          assert.match(r.headers.get('x-ratelimit-reset-requests'), /^(\d+m)?[\d.]+m?s$/);
        } else if (r.status === 429) {
          limited++;
          sample429 = r;
        } else other++;
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    assert.equal(other, 0);
    assert.equal(ok, 100);
    assert.equal(limited, 64 * 3 - 100);
    assert.equal(sample429.body.error.code, 'rate_limit_exceeded');
    assert.equal(sample429.body.error.type, 'rate_limit_error');
    assert.match(sample429.body.error.message, /100 requests per minute/);
    assert.ok(Number(sample429.headers.get('retry-after')) >= 1);
    assert.equal(sample429.headers.get('x-ratelimit-remaining-requests'), '0');

    // A restart does not refill the window.
    await stop(gw);
    const again = await startGateway(dir);
    try {
      const r = await chat(again, key.secret);
      assert.equal(r.status, 429, 'the window survived the restart');
    } finally {
      await stop(again);
    }
  } finally {
    await stop(gw);
  }
});

test('tpm reserves input plus max_tokens and max_parallel caps requests in flight', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    const key = await createKey(gw, { tpm: 1000 });
    const big = await chat(gw, key.secret, { body: { max_tokens: 5000 } });
    assert.equal(big.status, 429);
    assert.match(big.body.error.message, /token/);
    const small = await chat(gw, key.secret, { body: { max_tokens: 100 } });
    assert.equal(small.status, 200);
    assert.equal(small.headers.get('x-ratelimit-limit-tokens'), '1000');
    // The reservation (input estimate + 100) was corrected to the usage the cloud reported:
    // the next request sees 1000 minus that usage minus its own reservation (estimate + 10).
    const left = Number(small.headers.get('x-ratelimit-remaining-tokens'));
    const next = await chat(gw, key.secret, { body: { max_tokens: 10 } });
    const estimate = 1000 - 100 - left;  // what the gateway estimated for this input
    assert.ok(estimate > 0 && estimate < 50, `estimate ${estimate}`);
    assert.equal(Number(next.headers.get('x-ratelimit-remaining-tokens')),
      1000 - small.body.usage.total_tokens - (estimate + 10),
      'the first request was charged its usage, not its 100-token reservation');
    // Keys of different limits one after another: each answer names its own key's limit (a
    // worker keeps the digits of the last limit it wrote).
    const wide = await createKey(gw, { tpm: 25000 });
    for (const [k, limit] of [[wide, '25000'], [key, '1000'], [wide, '25000'], [key, '1000']]) {
      const r = await chat(gw, k.secret, { body: { max_tokens: 10 } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-ratelimit-limit-tokens'), limit);
    }

    const one = await createKey(gw, { max_parallel: 1 });
    const first = chat(gw, one.secret, { model: 'slow' });  // answers after 3 s
    await new Promise((r) => setTimeout(r, 300));
    const second = await chat(gw, one.secret);
    assert.equal(second.status, 429);
    assert.match(second.body.error.message, /in flight|parallel/);
    assert.equal((await first).status, 200);
    assert.equal((await chat(gw, one.secret)).status, 200, 'the slot is free again');
  } finally {
    await stop(gw);
  }
});

// One request on a connection of its own (no keep-alive), so consecutive requests may land on
// different workers: what one request's end settled must already hold for the next.
function chatAlone(gw, key, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'hi' }], ...body });
    const req = httpRequest(`${gw.url}/v1/chat/completions`, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, connection: 'close' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

test('a client that waits for each answer finds its limits settled: never a stale 429', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    // max_parallel 1: the slot is free by the time the client has the whole answer, streamed
    // or not, whichever worker its next connection reaches.
    const one = await createKey(gw, { max_parallel: 1, tpm: 1000000 });
    let left = null;
    let used = 0;
    for (let i = 0; i < 300; i++) {
      const stream = i % 2 === 1;
      const r = await chatAlone(gw, one.secret, stream
        ? { max_tokens: 10, stream: true, stream_options: { include_usage: true } }
        : { max_tokens: 10 });
      assert.equal(r.status, 200, `request ${i}: ${r.text}`);
      const remaining = Number(r.headers['x-ratelimit-remaining-tokens']);
      // tpm: this answer's reservation (estimate + 10) is what the previous one's usage left.
      if (left !== null) {
        assert.equal(left - remaining, used,
          `request ${i} saw the previous request's usage (${used} tokens), not its reservation`);
      }
      const usage = stream
        ? r.text.split('\n\n').map((e) => e.replace(/^data: /, '')).filter((d) => d.includes('"usage":{'))
          .map((d) => JSON.parse(d).usage).pop()
        : JSON.parse(r.text).usage;
      assert.ok(usage && usage.total_tokens > 0, `request ${i} reported usage`);
      // The next request's remaining = this one's remaining + this reservation - this usage;
      // reservations are equal (same input, same max_tokens), so the step is this usage.
      left = remaining;
      used = usage.total_tokens;
    }
  } finally {
    await stop(gw);
  }
});

test('expiry holds at its instant and a rotated secret works only during its grace time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    const soon = new Date(Date.now() + 1500).toISOString();
    const expiring = await createKey(gw, { expires_at: soon });
    assert.equal((await chat(gw, expiring.secret)).status, 200);
    await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 50));
    const expired = await chat(gw, expiring.secret);
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);

    const key = await createKey(gw, {});
    const rotated = await admin(gw, 'POST', `/keys/${key.id}/rotate`, { grace_seconds: 2 });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const fresh = rotated.body.secret;
    assert.notEqual(fresh, key.secret);
    assert.equal((await chat(gw, key.secret)).status, 200, 'the old secret works during the grace time');
    assert.equal((await chat(gw, fresh)).status, 200);
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal((await chat(gw, key.secret)).status, 401, 'the old secret is refused after it');
    assert.equal((await chat(gw, fresh)).status, 200);
  } finally {
    await stop(gw);
  }
});

test('hostile Authorization headers get 401 and neither the key nor the header reaches a log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-keys-'));
  const gw = await startGateway(dir);
  try {
    const key = await createKey(gw, {});
    const { request } = await import('node:http');
    const raw = (headers) => new Promise((resolve, reject) => {
      const req = request({ port: gw.port, method: 'POST', path: '/v1/chat/completions', headers }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'hi' }] }));
    });
    const marker = 'Zq9SecretMarker';
    const cases = [
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' + marker + 'x'.repeat(8000) },
      { authorization: 'Basic ' + Buffer.from('u:' + marker).toString('base64') },
      { authorization: 'Bearer tk-' + marker + '\u00e9'.repeat(10) },
      // Several of them, even when one is good.
      { authorization: ['Bearer ' + key.secret, 'Bearer tk-' + marker] },
      { 'api-key': [key.secret, 'tk-' + marker] },
      { authorization: 'Bearer ' + key.secret, 'api-key': 'tk-' + marker },
    ];
    for (const headers of cases) {
      const r = await raw({ 'content-type': 'application/json', ...headers });
      assert.equal(r.status, 401, JSON.stringify(headers).slice(0, 80));
      assert.equal(JSON.parse(r.body).error.code, 'invalid_api_key');
      assert.ok(!r.body.includes(marker));
    }
    assert.equal((await chat(gw, key.secret)).status, 200);
    await stop(gw);
    const log = gw.stderr();
    assert.ok(!log.includes(marker), 'no part of a presented credential is logged');
    assert.ok(!log.includes(key.secret), 'the key is never logged');
    assert.match(log, new RegExp(`key=${key.id}`), 'the key id is');
  } finally {
    await stop(gw);
  }
});
