// Codex CLI end to end through the gateway: the real `codex exec` (@openai/codex, pinned in
// package.json; the package ships its binary) with a tollbooth virtual key, against the mock
// cloud's scripted turn: a shell tool call first, then, once Codex sends the tool's output, a
// final message. Nothing leaves the machine: the gateway and the mock listen on 127.0.0.1, and
// Codex's analytics and plugins (its only other connections) are off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, eventually } from './stack.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CODEX = join(here, 'node_modules', '.bin', 'codex');
const ADMIN = 'e2e-admin-key-codex-0123456789';
let stack;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tb-e2e-codex-'));
  // codex-bedrock: Codex's tools include built-in ones (web_search, namespace, tool_search) that
  // Bedrock cannot run; the route drops them (drop_unsupported) rather than refusing.
  stack = await startStack(`  codex-bedrock:
    routes:
      - { provider: bedrock-us, model_id: "us.anthropic.claude-3-5-sonnet-20240620-v1:0", drop_unsupported: true }
`, (yaml) => yaml
    .replace('auth: none', `auth: keys\nstore: { sqlite: ${join(dir, 'gw.db')} }`)
    .replace('  workers: 2', `  workers: 2\n  admin_key: ${ADMIN}`));
});
after(() => stack?.stop());

async function admin(method, path, body) {
  const res = await fetch(`${stack.gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.ok, `${method} ${path}: ${res.status}`);
  return res.json();
}

// The key's rows in the ledger, once `want` are there (the writer flushes every 100 ms) or 5 s
// have passed.
async function ledgerRows(keyId, want) {
  let rows = 0;
  for (let i = 0; i < 50 && rows < want; i++) {
    rows = (await admin('GET', `/admin/v1/spend?by=key&key=${keyId}&since=2000-01-01`)).total.rows;
    if (rows < want) await new Promise((res) => setTimeout(res, 100));
  }
  return rows;
}

// The config.toml docs/codex.md gives, pointed at this gateway.
function codexHome(model) {
  const home = mkdtempSync(join(dir, 'codex-home-'));
  writeFileSync(join(home, 'config.toml'), `
model = "${model}"
model_provider = "tollbooth"

[model_providers.tollbooth]
name = "tollbooth"
base_url = "${stack.gw.url}/v1"
env_key = "TOLLBOOTH_API_KEY"
wire_api = "responses"

[analytics]
enabled = false

[features]
plugins = false
`);
  return home;
}

// Runs `codex exec` and returns its --json events.
function codexExec(home, key, prompt) {
  const work = mkdtempSync(join(dir, 'work-'));
  return new Promise((resolve, reject) => {
    // The sandbox is bypassed: the one command is `echo hello`, and the sandbox's user
    // namespaces are not something every CI machine allows.
    const child = spawn(CODEX, ['exec', '--skip-git-repo-check', '--json', '--ephemeral',
      '--dangerously-bypass-approvals-and-sandbox', prompt], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, TOLLBOOTH_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ code, events, out, err });
    });
  });
}

test('codex exec runs a tool through the gateway and prints the final answer; both turns are billed to its key', async () => {
  const key = await admin('POST', '/admin/v1/keys', { alias: 'codex' });
  await stack.clear();
  const r = await codexExec(codexHome('direct'), key.secret, 'call exec_command {"cmd":"echo hello"}');
  assert.equal(r.code, 0, `codex exited ${r.code}\n${r.err.slice(-2000)}`);
  const items = r.events.filter((e) => e.type === 'item.completed').map((e) => e.item);
  const command = items.find((i) => i.type === 'command_execution');
  assert.ok(command, `a command ran: ${r.out.slice(-2000)}`);
  assert.match(command.aggregated_output ?? '', /hello/);
  const message = items.filter((i) => i.type === 'agent_message').at(-1);
  assert.equal(message?.text, 'openai says: tool output: hello', 'the final message, as the mock wrote it');

  const posts = (await stack.requests()).filter((q) => q.target === '/openai/v1/responses');
  assert.equal(posts.length, 2, 'the tool call, then the answer');
  const second = JSON.parse(posts[1].body);
  const output = second.input.find((i) => i.type === 'function_call_output');
  assert.ok(output, 'the second request carries the tool output');
  assert.match(output.output, /hello/);
  assert.equal(second.input.find((i) => i.type === 'function_call')?.name, 'exec_command');

  // The ledger: both requests, billed to the key (the writer flushes every 100 ms).
  assert.equal(await ledgerRows(key.key.id, 2), 2);
});

test('routed to Bedrock, the Responses API is translated to Converse and Codex runs its tool the same way', async () => {
  const key = await admin('POST', '/admin/v1/keys', { alias: 'codex-bedrock' });
  await stack.clear();
  const r = await codexExec(codexHome('codex-bedrock'), key.secret, 'call exec_command {"cmd":"echo hello"}');
  assert.equal(r.code, 0, `codex exited ${r.code}\n${r.err.slice(-2000)}\n${r.out.slice(-2000)}`);
  const items = r.events.filter((e) => e.type === 'item.completed').map((e) => e.item);
  const command = items.find((i) => i.type === 'command_execution');
  assert.ok(command, `a command ran: ${r.out.slice(-2000)}`);
  assert.match(command.aggregated_output ?? '', /hello/);
  assert.equal(items.filter((i) => i.type === 'agent_message').at(-1)?.text, 'bedrock says: tool output: hello');

  const posts = (await stack.requests()).filter((q) => /\/converse-stream$/.test(q.target));
  assert.equal(posts.length, 2, 'two ConverseStream calls');
  const second = JSON.parse(posts[1].body);
  // Bedrock refuses a history with tool use unless toolConfig comes with it.
  assert.ok(second.toolConfig?.tools?.length > 0, 'toolConfig sent with the tool history');
  const result = second.messages.flatMap((m) => m.content).find((c) => c.toolResult);
  assert.ok(result, 'the tool result reached Bedrock');
  assert.match(JSON.stringify(result.toolResult.content), /hello/);
  const names = second.toolConfig.tools.map((t) => t.toolSpec.name);
  assert.ok(names.includes('exec_command') && !names.includes('web_search'));

  assert.equal(await ledgerRows(key.key.id, 2), 2);
});

test('the WebSocket upgrade Codex tries with the built-in provider is refused so it goes on over HTTP', async () => {
  const key = await admin('POST', '/admin/v1/keys', { alias: 'codex-ws' });
  const home = codexHome('direct');
  // The built-in provider pointed at the gateway: Codex tries GET /v1/responses with an
  // Upgrade first (supports_websockets is true for it).
  writeFileSync(join(home, 'config.toml'), `
model = "direct"
openai_base_url = "${stack.gw.url}/v1"
[analytics]
enabled = false
[features]
plugins = false
`);
  await stack.clear();
  const started = Date.now();
  const r = await new Promise((resolve, reject) => {
    const login = spawn(CODEX, ['login', '--with-api-key'], {
      env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home }, stdio: ['pipe', 'ignore', 'pipe'],
    });
    login.stdin.end(key.secret);
    login.on('error', reject);
    login.on('close', () => resolve(codexExec(home, key.secret, 'say hi')));
  });
  assert.equal(r.code, 0, r.err.slice(-2000));
  const message = r.events.filter((e) => e.type === 'item.completed').map((e) => e.item)
    .filter((i) => i.type === 'agent_message').at(-1);
  assert.equal(message?.text, 'openai says: say hi');
  // After a 426 Codex neither retries the upgrade ("Reconnecting... n/5") nor reports falling back.
  assert.ok(!/Reconnecting|Falling back/.test(r.out), r.out.slice(-2000));
  assert.ok(Date.now() - started < 20_000, 'no seconds of WebSocket retries');
  // The gateway's access log (written a moment after each answer): the upgrade refused once,
  // then the POST served.
  await eventually(async () => {
    const lines = stack.gw.stderr().split('\n').filter((l) => l.includes(' /v1/responses '));
    assert.ok(lines.some((l) => / POST \/v1\/responses 200 key=/.test(l)), lines.join('\n'));
    assert.equal(lines.filter((l) => / GET \/v1\/responses 426 /.test(l)).length, 1, lines.join('\n'));
  });
});
