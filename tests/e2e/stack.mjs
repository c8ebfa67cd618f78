// Starts the real tollbooth binary (gateway and mock clouds) for one e2e test file, on free ports,
// and makes sure every process it spawned is gone afterwards, even when a test or hook fails.
// Reuses the integration harness's cloud and gateway configs; start-up and teardown are stricter.
import { spawn } from 'node:child_process';
import OpenAI from 'openai';
import {
  BIN, tempFile, MOCK_CLOUDS, MOCK_KEYS, gatewayConfig, eventually,
} from '../integration/harness.mjs';

export { MOCK_KEYS, eventually };

const live = new Set();

// Last resort: if the test process ends without running `after` (a crash, or the test runner
// cancelling the file), take the children with it.
function killAll() {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.kill(process.pid, sig); // the default action, now that the handler is gone
  });
}

// Spawns `BIN args...` and resolves once it prints "<prefix> listening on HOST:PORT". Like the
// harness's startProcess, but it fails at once when the binary cannot be started, and the child
// is tracked from the moment it exists.
function spawnTracked(args, prefix) {
  return new Promise((resolve, reject) => {
    // The readable log lines (JSON is the default when stderr is a pipe).
    const child = spawn(BIN, args, { env: { TOLLBOOTH_LOG_FORMAT: 'text', ...process.env, ...MOCK_KEYS }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    let err = '';
    let settled = false;
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${BIN} ${args[0]}: ${why}\nstdout: ${out}\nstderr: ${err}`));
    };
    const timer = setTimeout(() => fail('did not start within 15 s'), 15000);
    child.on('error', (e) => fail(`${e.message} (build it with: ninja -C build tollbooth)`));
    child.once('exit', (code, signal) => {
      live.delete(child);
      fail(`exited with ${code ?? signal}`);
    });
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(new RegExp(`${prefix} listening on ([0-9.]+):(\\d+)`));
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, port: Number(m[2]), url: `http://127.0.0.1:${m[2]}`, stderr: () => err });
      }
    });
  });
}

// SIGTERM, then SIGKILL if the process has not exited within `graceMs`.
export function kill(proc, graceMs = 3000) {
  return new Promise((resolve) => {
    const child = proc?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      return resolve();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.removeAllListeners('exit');
    child.once('exit', () => {
      clearTimeout(timer);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function mockApi(mock) {
  return {
    async requests() {
      const r = await fetch(`${mock.url}/_mock/requests`);
      return (await r.json()).requests;
    },
    async clear() {
      await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE' });
    },
  };
}

// The mock clouds of the integration harness, alone (for talking to a cloud directly).
export async function startMock() {
  const mock = await spawnTracked(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)], 'mock');
  return { mock, ...mockApi(mock), async stop() { await kill(mock); } };
}

// The mock clouds and a gateway in front of them, configured as in the integration harness;
// `edit` may change the gateway's config text (keys on, an admin key).
export async function startStack(extraModels = '', edit = (yaml) => yaml) {
  const mock = await spawnTracked(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)], 'mock');
  const gwConfig = tempFile('gw.yaml', edit(gatewayConfig(mock.port, extraModels)));
  let gw;
  try {
    gw = await spawnTracked(['serve', '-c', gwConfig], 'tollbooth');
  } catch (e) {
    await kill(mock);
    throw e;
  }
  return {
    mock,
    gw,
    // Stops the gateway (SIGTERM, as an operator would) and starts it again on the same config:
    // what it keeps in its store must survive. `gw` is the new process afterwards.
    async restartGateway() {
      await kill(this.gw);
      this.gw = await spawnTracked(['serve', '-c', gwConfig], 'tollbooth');
      return this.gw;
    },
    ...mockApi(mock),
    // An SDK client pointed at the gateway. No retries by default so failures are fast and each
    // test sees exactly one request per call.
    client(opts = {}) {
      return new OpenAI({ baseURL: `${this.gw.url}/v1`, apiKey: 'client-key', maxRetries: 0, timeout: 10_000, ...opts });
    },
    async stop() {
      await Promise.all([kill(this.gw), kill(mock)]);
    },
  };
}

// Adds provider `chat-only` to a gateway config made by startStack: the mock OpenAI cloud reached
// as an OpenAI-compatible server without the Responses API (`responses: chat`), so a Responses
// request to it is bridged to chat completions. Models name it in startStack's extraModels.
export function withChatOnlyProvider(yaml) {
  const mock = yaml.match(/base_url: (http:\/\/127\.0\.0\.1:\d+)\/openai\/v1/)[1];
  return yaml.replace('providers:\n', `providers:
  chat-only:
    kind: openai
    base_url: ${mock}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
    responses: chat
`);
}

// Runs `fn` and returns what it threw; fails if it did not throw.
export async function thrown(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, but the call succeeded');
}

// The mock clouds described by `yaml` (a whole mock config), alone.
export async function startMockWith(yaml, name = 'mock-custom.yaml') {
  const mock = await spawnTracked(['mock', '-l', '127.0.0.1:0', '-c', tempFile(name, yaml)], 'mock');
  return { mock, ...mockApi(mock), async stop() { await kill(mock); } };
}
