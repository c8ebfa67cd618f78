// Starts the real tollbooth binary and the mock clouds on free ports for a test, and stops them.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// A path relative to where the tests were started (TOLLBOOTH_BIN=build/tollbooth) is made
// absolute: some tests run the binary from another working directory. A bare name is left to
// PATH.
const given = process.env.TOLLBOOTH_BIN;
export const BIN = given === undefined ? join(root, 'build', 'tollbooth')
  : given.includes('/') ? resolve(given) : given;

export function tempFile(name, text) {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// Spawns `BIN args...` and resolves once it prints "<prefix> listening on HOST:PORT".
export function startProcess(args, { env = {}, prefix } = {}) {
  return new Promise((resolvePromise, reject) => {
    // The readable log lines, which tests read (JSON is the default when stderr is a pipe).
    const child = spawn(BIN, args, { env: { TOLLBOOTH_LOG_FORMAT: 'text', ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args[0]} did not start in time\nstdout: ${out}\nstderr: ${err}`));
    }, 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(new RegExp(`${prefix} listening on ([0-9.]+):(\\d+)`));
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, port: Number(m[2]), url: `http://127.0.0.1:${m[2]}`, stderr: () => err });
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code}\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

// Signals the process and resolves with its exit code once it has exited and its stdout and
// stderr are drained ('close', which follows 'exit'): stderr() then holds every line it wrote.
export function stop(proc, signal = 'SIGTERM') {
  return new Promise((res) => {
    if (!proc) return res(undefined);
    const { child } = proc;
    child.removeAllListeners('exit');
    const exited = child.exitCode !== null || child.signalCode !== null;
    const drained = (s) => !s || s.closed;  // a stream that was never piped has nothing to drain
    if (exited && drained(child.stdout) && drained(child.stderr)) return res(child.exitCode);
    child.once('close', (code) => res(code));
    if (!exited) child.kill(signal);
  });
}

// Retries `check` (an async function that asserts) every `every` ms until it passes or `ms`
// have gone by, then throws its last failure. For what the gateway records after an answer has
// gone out (metrics, the access log, the ledger's batches): a client can be faster than it.
export async function eventually(check, ms = 5_000, every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((ok) => setTimeout(ok, every));
    }
  }
}

export const MOCK_KEYS = {
  MOCK_OPENAI_KEY: 'sk-mock-openai',
  MOCK_AZURE_KEY: 'azure-mock-key',
  // Fake AWS credentials: the mock Bedrock verifies SigV4 made with them.
  MOCK_AWS_ACCESS_KEY_ID: 'AKIDMOCKEXAMPLE',
  MOCK_AWS_SECRET: 'mock/secret/key/EXAMPLEKEY',
  MOCK_BEDROCK_API_KEY: 'bedrock-api-key-mock',
};

// Mock clouds used by most tests: healthy OpenAI and Azure, and clouds with fixed faults.
export const MOCK_CLOUDS = `
clouds:
  openai:
    kind: openai
    prefix: /openai
    api_key: env:MOCK_OPENAI_KEY
  azure-east:
    kind: azure
    prefix: /azure-east
    api_key: env:MOCK_AZURE_KEY
    deployments: { gpt4o-prod: gpt-4o-2024-08-06 }
  azure-v1:
    kind: azure
    prefix: /azure-v1
    api_key: env:MOCK_AZURE_KEY
    deployments: { gpt4o-v1: gpt-4o-2024-11-20 }
  down:
    kind: openai
    prefix: /down
    fault: "status=503"
  busy:
    kind: openai
    prefix: /busy
    fault: "status=429;retry_after=7"
  slow:
    kind: openai
    prefix: /slow
    fault: "latency_ms=3000"
  dropper:
    kind: openai
    prefix: /dropper
    fault: "drop_after=2"
  badreq:
    kind: openai
    prefix: /badreq
    fault: "status=400"
  trickle:
    kind: openai
    prefix: /trickle
    stream_delay_ms: 150
  staller:
    kind: openai
    prefix: /staller
    fault: "stall_ms=3000"
  flaky:
    kind: openai
    prefix: /flaky
    fault: "status=503;fail_first=2"
  busy-once:
    kind: openai
    prefix: /busy-once
    fault: "status=429;retry_after=1;fail_first=1"
  bedrock:
    kind: bedrock
    prefix: /bedrock
    region: us-east-1
    access_key_id: env:MOCK_AWS_ACCESS_KEY_ID
    secret_access_key: env:MOCK_AWS_SECRET
    api_key: env:MOCK_BEDROCK_API_KEY
  bedrock-throttled:
    kind: bedrock
    prefix: /bedrock-throttled
    region: us-east-1
    access_key_id: env:MOCK_AWS_ACCESS_KEY_ID
    secret_access_key: env:MOCK_AWS_SECRET
    fault: "status=429"
  bedrock-late-throttle:
    kind: bedrock
    prefix: /bedrock-late-throttle
    region: us-east-1
    stream_delay_ms: 100
    fault: "exception=throttlingException"
  bedrock-dropper:
    kind: bedrock
    prefix: /bedrock-dropper
    region: us-east-1
    stream_delay_ms: 50
    fault: "drop_after=3"
`;

export function gatewayConfig(mockPort, extra = '') {
  const m = `http://127.0.0.1:${mockPort}`;
  return `
server:
  listen: 127.0.0.1:0
  workers: 2
  max_body_bytes: 64KiB
auth: none
billing: { unpriced: allow }  # these tests are not about prices
providers:
  openai:
    kind: openai
    base_url: ${m}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
  azure-east:
    kind: azure
    endpoint: ${m}/azure-east
    api_key: env:MOCK_AZURE_KEY
    api_version: 2024-10-21
  azure-v1:
    kind: azure
    api: v1
    endpoint: ${m}/azure-v1
    api_key: env:MOCK_AZURE_KEY
  down:
    kind: openai
    base_url: ${m}/down/v1
    api_key: k
  busy:
    kind: openai
    base_url: ${m}/busy/v1
    api_key: k
  slow:
    kind: openai
    base_url: ${m}/slow/v1
    api_key: k
    first_byte_timeout: 500ms
  dropper:
    kind: openai
    base_url: ${m}/dropper/v1
    api_key: k
  badreq:
    kind: openai
    base_url: ${m}/badreq/v1
    api_key: k
  trickle:
    kind: openai
    base_url: ${m}/trickle/v1
    api_key: k
  staller:
    kind: openai
    base_url: ${m}/staller/v1
    api_key: k
    idle_timeout: 300ms
  nowhere:
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: k
    connect_timeout: 500ms
  azure-wrong-key:
    kind: azure
    endpoint: ${m}/azure-east
    api_key: not-the-azure-key
    api_version: 2024-10-21
  bedrock-us:
    kind: bedrock
    region: us-east-1
    endpoint: ${m}/bedrock
    access_key_id: env:MOCK_AWS_ACCESS_KEY_ID
    secret_access_key: env:MOCK_AWS_SECRET
  bedrock-apikey:
    kind: bedrock
    region: us-east-1
    endpoint: ${m}/bedrock
    api_key: env:MOCK_BEDROCK_API_KEY
  bedrock-wrong-secret:
    kind: bedrock
    region: us-east-1
    endpoint: ${m}/bedrock
    access_key_id: env:MOCK_AWS_ACCESS_KEY_ID
    secret_access_key: not-the-secret
  bedrock-throttled:
    kind: bedrock
    region: us-east-1
    endpoint: ${m}/bedrock-throttled
    access_key_id: env:MOCK_AWS_ACCESS_KEY_ID
    secret_access_key: env:MOCK_AWS_SECRET
  bedrock-late-throttle:
    kind: bedrock
    region: us-east-1
    endpoint: ${m}/bedrock-late-throttle
    api_key: any-key-will-do
  bedrock-dropper:
    kind: bedrock
    region: us-east-1
    endpoint: ${m}/bedrock-dropper
    api_key: any-key-will-do
# Breakers stay closed here: clouds that always fail are shared by many tests, and one test's
# failures must not change what the next one sees (tests/integration/routing.test.mjs starts
# its own gateway for breakers).
routing:
  breaker: { failures: 1000, min_requests: 1000 }
models:
  gpt-4o:
    routes:
      - { provider: azure-east, deployment: gpt4o-prod }
      - { provider: openai, model: gpt-4o-2024-08-06 }
  gpt-4o-v1:
    routes:
      - { provider: azure-v1, deployment: gpt4o-v1 }
  direct:
    routes:
      - { provider: openai }
  fallback-503:
    routes:
      - { provider: down }
      - { provider: openai, model: gpt-4o-mini }
  fallback-connect:
    routes:
      - { provider: nowhere }
      - { provider: openai }
  fallback-timeout:
    routes:
      - { provider: slow }
      - { provider: openai }
  all-down:
    routes:
      - { provider: down }
      - { provider: nowhere }
  all-busy:
    routes:
      - { provider: busy }
  only-slow:
    routes:
      - { provider: slow }
  drops:
    routes:
      - { provider: dropper }
      - { provider: openai }
  client-error:
    routes:
      - { provider: badreq }
      - { provider: openai }
  slow-stream:
    routes:
      - { provider: trickle }
  stalls:
    routes:
      - { provider: staller }
      - { provider: openai }
  wrong-key-first:
    routes:
      - { provider: azure-wrong-key, deployment: gpt4o-prod }
      - { provider: openai }
  wrong-key-only:
    routes:
      - { provider: azure-wrong-key, deployment: gpt4o-prod }
  claude:
    routes:
      - { provider: bedrock-us, model_id: "us.anthropic.claude-3-5-sonnet-20240620-v1:0" }
  claude-apikey:
    routes:
      - { provider: bedrock-apikey, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
  claude-lenient:
    routes:
      - { provider: bedrock-us, model_id: "anthropic.claude-3-haiku-20240307-v1:0", drop_unsupported: true }
  bedrock-then-openai:
    routes:
      - { provider: bedrock-throttled, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
      - { provider: openai, model: gpt-4o-mini }
  bedrock-bad-creds:
    routes:
      - { provider: bedrock-wrong-secret, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
      - { provider: bedrock-us, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
  bedrock-bad-creds-only:
    routes:
      - { provider: bedrock-wrong-secret, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
  claude-fetching:
    routes:
      - { provider: bedrock-us, model_id: "anthropic.claude-3-haiku-20240307-v1:0", fetch_images: true }
  bedrock-late-fail:
    routes:
      - { provider: bedrock-late-throttle, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
      - { provider: openai }
  bedrock-drops:
    routes:
      - { provider: bedrock-dropper, model_id: "anthropic.claude-3-haiku-20240307-v1:0" }
      - { provider: openai }
${extra}`;
}

// Starts the mock clouds and a gateway in front of them.
export async function startStack(extraModels = '') {
  const mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  let gw;
  try {
    gw = await startProcess(['serve', '-c', tempFile('gw.yaml', gatewayConfig(mock.port, extraModels))],
      { env: MOCK_KEYS, prefix: 'tollbooth' });
  } catch (e) {
    await stop(mock);
    throw e;
  }
  return {
    mock, gw,
    async stop() { await stop(gw); await stop(mock); },
    async mockRequests() {
      const r = await fetch(`${mock.url}/_mock/requests`);
      return (await r.json()).requests;
    },
    async clearMock() { await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' }); },
  };
}

export async function chat(gwUrl, body, headers = {}) {
  return fetch(`${gwUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-key', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// Reads an SSE body and returns the parsed data payloads (raw strings for non-JSON).
export async function sseEvents(res) {
  const text = await res.text();
  return text.split('\n\n').filter((e) => e.trim()).map((e) => {
    const data = e.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
    try { return JSON.parse(data); } catch { return data; }
  });
}
