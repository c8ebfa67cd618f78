// Routing through the real binary: first refusal, capabilities, contract declines, date windows,
// breakers with a recovery probe, Retry-After, no retry after the first byte, least_cost, and
// who may see the plan. Its own gateway config (breakers that open after 2 failures).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startProcess, stop, eventually, tempFile, chat, sseEvents, MOCK_CLOUDS, MOCK_KEYS,
} from './harness.mjs';

const ADMIN = 'routing-admin-key';

function config(m) {
  return `
server:
  listen: 127.0.0.1:0
  workers: 2
  admin_key: ${ADMIN}
auth: none
billing: { unpriced: allow }  # these tests are not about prices
providers:
  azure-east:
    kind: azure
    endpoint: ${m}/azure-east
    api_key: env:MOCK_AZURE_KEY
    api_version: 2024-10-21
    region: eastus
    residency: us
  azure-old:
    kind: azure
    endpoint: ${m}/azure-east
    api_key: env:MOCK_AZURE_KEY
    api_version: 2024-10-21
  openai:
    kind: openai
    base_url: ${m}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
  openai-b:
    kind: openai
    base_url: ${m}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
  down:
    kind: openai
    base_url: ${m}/down/v1
    api_key: k
  flaky:
    kind: openai
    base_url: ${m}/flaky/v1
    api_key: k
  busy-once:
    kind: openai
    base_url: ${m}/busy-once/v1
    api_key: k
  busy:
    kind: openai
    base_url: ${m}/busy/v1
    api_key: k
  dropper:
    kind: openai
    base_url: ${m}/dropper/v1
    api_key: k
routing:
  attempts: 3
  backoff: 50ms
  max_backoff: 2s
  breaker: { failures: 2, min_requests: 100, cooldown: 1s }
contracts:
  microsoft:
    providers: [azure-east]
    first_refusal: true
    declines: [json_schema]
  expired:
    providers: [azure-old]
    license_until: 2020-12-31
prices:
  - { provider: openai, model: cheap, input_per_mtok: 5, output_per_mtok: 15 }
  - { provider: openai-b, model: cheap, input_per_mtok: 0.5, output_per_mtok: 1.5 }
models:
  gpt-5:
    capabilities: [tools, parallel_tools, vision, json_schema]
    routes:
      - { provider: openai, model: gpt-5 }
      - { provider: azure-east, deployment: gpt4o-prod, lacks: [vision] }
  text-only:
    capabilities: []
    routes:
      - { provider: openai }
  licensed:
    routes:
      - { provider: azure-old, deployment: gpt4o-prod }
      - { provider: openai }
  later:
    routes:
      - { provider: down }
      - { provider: openai, available_from: 2099-01-01 }
  flaky-first:
    routes:
      - { provider: flaky }
      - { provider: openai }
  down-only:
    routes:
      - { provider: down }
  retry-after:
    routes:
      - { provider: busy-once }
  busy-long:
    routes:
      - { provider: busy }
  stream-drop:
    routes:
      - { provider: dropper }
      - { provider: openai }
  cheap:
    strategy: least_cost
    routes:
      - { provider: openai }
      - { provider: openai-b }
`;
}

let mock;
let gw;
const mockRequests = async (cloud) =>
  (await (await fetch(`${mock.url}/_mock/requests?cloud=${cloud}`)).json()).requests;
const admin = { authorization: `Bearer ${ADMIN}` };
const ask = (content) => [{ role: 'user', content }];

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  gw = await startProcess(['serve', '-c', tempFile('routing.yaml', config(mock.url))],
    { env: MOCK_KEYS, prefix: 'tollbooth' });
});
after(async () => { await stop(gw); await stop(mock); });

test('primary takes a plain request: first refusal beats the listed order', async () => {
  const res = await chat(gw.url, { model: 'gpt-5', messages: ask('hi') }, admin);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'azure-east');
  assert.equal(res.headers.get('x-tollbooth-plan'), 'azure-east=first_refusal;openai=ordered');
});

test('a vision request skips a primary that lacks vision', async () => {
  const messages = [{ role: 'user', content: [{ type: 'text', text: 'what is it' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }];
  const res = await chat(gw.url, { model: 'gpt-5', messages }, admin);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
  assert.match(res.headers.get('x-tollbooth-plan'), /azure-east=skip:lacks_capability\(vision\)/);
});

test('a capability the primary declines goes elsewhere', async () => {
  const res = await chat(gw.url, {
    model: 'gpt-5', messages: ask('json please'),
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
  }, admin);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
  assert.match(res.headers.get('x-tollbooth-plan'), /azure-east=skip:declined_capability\(microsoft:json_schema\)/);
});

test('no route offering a needed capability is a 400 naming it', async () => {
  const res = await chat(gw.url, { model: 'text-only', messages: ask('x'), tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, 'capability_not_available');
  assert.match(error.message, /openai: lacks capability tools/);
  assert.equal(res.headers.get('x-tollbooth-plan'), null, 'the plan is only for the admin key');
});

test('after license_until the primary is ineligible', async () => {
  const res = await chat(gw.url, { model: 'licensed', messages: ask('hi') }, admin);
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai');
  assert.match(res.headers.get('x-tollbooth-plan'), /azure-old=skip:after_license_until\(2020-12-31\)/);
});

test('before available_from the second cloud is ineligible: no fallback to it', async () => {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
  const res = await chat(gw.url, { model: 'later', messages: ask('hi') }, admin);
  assert.equal(res.status, 503);
  const { error } = await res.json();
  assert.match(error.message, /down: HTTP 503/);
  assert.doesNotMatch(error.message, /openai:/);
  assert.match(res.headers.get('x-tollbooth-plan'), /openai=skip:before_available_from\(2099-01-01\)/);
  assert.equal((await mockRequests('openai')).length, 0);
});

test('primary breaker open: second cloud serves, then the primary again after the cooldown probe', async () => {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' }); // flaky fails its next 2 requests
  for (let i = 0; i < 2; i++) {
    const res = await chat(gw.url, { model: 'flaky-first', messages: ask('hi') });
    assert.equal(res.headers.get('x-tollbooth-route'), 'openai', `request ${i + 1} falls back`);
  }
  assert.equal((await mockRequests('flaky')).length, 2);
  // Two consecutive failures opened flaky's breaker: it is skipped without being asked.
  const skipped = await chat(gw.url, { model: 'flaky-first', messages: ask('hi') }, admin);
  assert.equal(skipped.headers.get('x-tollbooth-route'), 'openai');
  assert.match(skipped.headers.get('x-tollbooth-plan'), /flaky=skip:breaker_open/);
  assert.equal((await mockRequests('flaky')).length, 2, 'no request reached the open route');
  await new Promise((r) => setTimeout(r, 1100)); // the cooldown
  const probe = await chat(gw.url, { model: 'flaky-first', messages: ask('hi') });
  assert.equal(probe.status, 200);
  assert.equal(probe.headers.get('x-tollbooth-route'), 'flaky', 'the probe succeeded and served');
  const after = await chat(gw.url, { model: 'flaky-first', messages: ask('hi') });
  assert.equal(after.headers.get('x-tollbooth-route'), 'flaky', 'closed again');
});

test('a single-route model fails fast with 503 and Retry-After while its breaker is open', async () => {
  const first = await chat(gw.url, { model: 'down-only', messages: ask('hi') });
  assert.equal(first.status, 503);
  const before = (await mockRequests('down')).length;
  const res = await chat(gw.url, { model: 'down-only', messages: ask('hi') });
  assert.equal(res.status, 503);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  const { error } = await res.json();
  assert.equal(error.code, 'circuit_open');
  assert.match(error.message, /down: breaker open/);
  assert.equal((await mockRequests('down')).length, before, 'the open breaker sent nothing upstream');
});

test('429 with Retry-After: the route is tried again after the wait, and serves', async () => {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' }); // busy-once: one 429 again
  const started = Date.now();
  const res = await chat(gw.url, { model: 'retry-after', messages: ask('hi') });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'busy-once');
  assert.ok(Date.now() - started >= 900, 'the retry waited for Retry-After: 1');
  assert.equal((await mockRequests('busy-once')).length, 2);
});

test('a Retry-After longer than max_backoff is handed to the client at once', async () => {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
  const res = await chat(gw.url, { model: 'busy-long', messages: ask('hi') });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '7');
  assert.equal((await mockRequests('busy')).length, 1);
});

test('a failure after streaming has started is reported in-band and not retried', async () => {
  await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
  const res = await chat(gw.url, { model: 'stream-drop', stream: true, messages: ask('one two three four five') });
  assert.equal(res.headers.get('x-tollbooth-route'), 'dropper');
  const events = await sseEvents(res);
  assert.ok(events.at(-1).error, 'in-band error event last');
  assert.equal((await mockRequests('openai')).length, 0, 'no fallback after the first byte');
});

test('least_cost picks the cheaper route', async () => {
  const res = await chat(gw.url, { model: 'cheap', messages: ask('hi') }, admin);
  assert.equal(res.headers.get('x-tollbooth-route'), 'openai-b');
  assert.equal(res.headers.get('x-tollbooth-plan'), 'openai-b=least_cost;openai=least_cost');
});

test('GET /v1/models/{id} adds routing facts under `tollbooth` for the admin key only', async () => {
  const plain = await (await fetch(`${gw.url}/v1/models/gpt-5`)).json();
  assert.equal(plain.tollbooth, undefined);
  const full = await (await fetch(`${gw.url}/v1/models/gpt-5`, { headers: admin })).json();
  assert.equal(full.id, 'gpt-5');
  assert.equal(full.object, 'model');
  const routes = full.tollbooth.routes;
  assert.deepEqual(routes.map((r) => r.provider), ['openai', 'azure-east']);
  const azure = routes.find((r) => r.provider === 'azure-east');
  assert.equal(azure.contract.name, 'microsoft');
  assert.equal(azure.contract.first_refusal, true);
  assert.ok(!azure.capabilities.includes('vision'));
});

test('the access log carries the plan of each request', async () => {
  const planned = () => gw.stderr().match(
    /model=licensed route=openai .* plan=openai=ordered;azure-old=skip:after_license_until\(2020-12-31\)/g)?.length ?? 0;
  const before = planned();  // an earlier test's request, if any
  await chat(gw.url, { model: 'licensed', messages: ask('hi') });
  await eventually(async () => assert.equal(planned(), before + 1, 'this request\'s line'));
});
