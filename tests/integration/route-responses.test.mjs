// `tollbooth route --explain` on Responses API bodies: planned as POST /v1/responses plans them,
// and a previous_response_id looked up in the config's store for --key, as the gateway does. The
// kept responses are seeded with the sqlite3 shell, in the store's `responses` table; nothing is
// contacted (the providers point at a closed port).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './harness.mjs';

const HAVE_SQLITE3 = spawnSync('sqlite3', ['-version']).status === 0;
const NO_SQLITE3 = HAVE_SQLITE3 ? false
  : 'the sqlite3 shell is not installed (apt-get install sqlite3): no response can be seeded';

function run(args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { PATH: process.env.PATH, USER: 'tester' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A config with keys, its own SQLite store and one model on two OpenAI-wire providers; one key
// created with the CLI (which creates and migrates the store); and, kept for that key, a
// response living at provider b, one the gateway keeps itself (continuing an earlier turn), one
// whose earlier turn is gone, and one kept for requests without a key.
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-route-responses-'));
  const config = join(dir, 'tollbooth.yaml');
  const db = join(dir, 't.db');
  writeFileSync(config, `providers:
  a:
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: x
  b:
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: x
models:
  m:
    routes:
      - provider: a
      - provider: b
auth: keys
store:
  sqlite: ${db}
billing:
  unpriced: allow
`);
  const made = run(['keys', 'create', '-c', config, '--json']);
  assert.equal(made.status, 0, made.stderr);
  const key = JSON.parse(made.stdout).key.id;
  const far = Date.now() + 365 * 86400000;
  const row = (keyId, id, previous, provider) =>
    `('${keyId}', '${id}', ${Date.now()}, ${far}, '${previous}', '${provider}', '[]', '{}')`;
  const sql = `INSERT INTO responses (key_id, id, created_ms, expires_ms, previous_id, provider,
    input_items, response) VALUES
    ${row(key, 'resp_at_b', '', 'b')},
    ${row(key, 'resp_first', '', '')},
    ${row(key, 'resp_kept', 'resp_first', '')},
    ${row(key, 'resp_broken', 'resp_gone', '')},
    ${row('', 'resp_keyless', '', 'a')};`;
  if (HAVE_SQLITE3) {
    const r = spawnSync('sqlite3', [db], { input: sql, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const body = (fields) => {
    const path = join(dir, `body-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({ model: 'm', input: 'hello', ...fields }));
    return path;
  };
  const route = (fields, ...args) => run(['route', '-c', config, '--explain', body(fields), ...args]);
  return { dir, config, db, key, route };
}

test('a Responses body without previous_response_id plans like a chat body that needs responses_api', () => {
  const s = setup();
  const r = s.route({});
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.doesNotMatch(r.stdout, /previous_response_id/);
  assert.match(r.stdout, /^model m \(strategy ordered\)$/m);
  assert.match(r.stdout, /^needs: responses_api$/m);
  assert.match(r.stdout, /^ {3}1\. a\s+eligible\s+ordered/m);
  assert.match(r.stdout, /^ {3}2\. b\s+eligible\s+ordered/m);
  assert.match(r.stdout, /^x-tollbooth-plan: a=ordered;b=ordered$/m);

  // The same plan as a chat body with --needs responses_api, line for line.
  const chatBody = join(s.dir, 'chat.json');
  writeFileSync(chatBody, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello' }] }));
  const chat = run(['route', '-c', s.config, '--explain', chatBody, '--needs', 'responses_api']);
  assert.equal(chat.status, 0, chat.stderr);
  assert.equal(r.stdout, chat.stdout);

  // The Responses front's own checks apply: a bad `input` is the 400 clients would get.
  const bad = s.route({ input: 3 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /'input'.*clients would get 400/);
});

test('previous_response_id living at a provider pins the plan there', { skip: NO_SQLITE3 }, () => {
  const s = setup();
  const r = s.route({ previous_response_id: 'resp_at_b' }, '--key', s.key);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, new RegExp(`^date: \\S+ \\(UTC\\), key: ${s.key}$`, 'm'));
  assert.match(r.stdout, /^previous_response_id: resp_at_b, kept in sqlite:\S+: the conversation lives at provider b, so the plan is pinned there$/m);
  assert.match(r.stdout, /^needs: responses_api$/m);
  assert.match(r.stdout, /^ {3}1\. b\s+eligible\s+ordered/m);
  assert.match(r.stdout, /^ {3}-\s+a\s+skipped\s+the conversation it continues \(previous_response_id\) lives at provider b$/m);
  assert.match(r.stdout, /^x-tollbooth-plan: b=ordered;a=skip:conversation_elsewhere\(b\)$/m);
});

test('previous_response_id of a conversation the gateway keeps leaves every route open', { skip: NO_SQLITE3 }, () => {
  const s = setup();
  const r = s.route({ previous_response_id: 'resp_kept' }, '--key', s.key);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^previous_response_id: resp_kept, kept in sqlite:\S+: the gateway keeps this conversation \(2 turns\) and rebuilds its history, so any route may serve$/m);
  assert.match(r.stdout, /^ {3}1\. a\s+eligible\s+ordered/m);
  assert.match(r.stdout, /^ {3}2\. b\s+eligible\s+ordered/m);
  assert.doesNotMatch(r.stdout, /skipped/);
  assert.match(r.stdout, /^x-tollbooth-plan: a=ordered;b=ordered$/m);
});

test('a previous_response_id the key does not have is the 400 clients would get', { skip: NO_SQLITE3 }, () => {
  const s = setup();
  const unknown = s.route({ previous_response_id: 'resp_nope' }, '--key', s.key);
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, new RegExp(`^previous_response_id resp_nope: key ${s.key} has no such response in sqlite:\\S+ \\(clients would get 400 previous_response_not_found\\)\\n$`));

  // A key reads only its own: the response kept for requests without a key is not this key's.
  const other = s.route({ previous_response_id: 'resp_keyless' }, '--key', s.key);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /previous_response_not_found/);

  // A conversation whose earlier turn is gone cannot be rebuilt.
  const broken = s.route({ previous_response_id: 'resp_broken' }, '--key', s.key);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /it continues response resp_gone, which has expired or was deleted.*previous_response_not_found/);
});

test('without --key, previous_response_id is looked up among the responses of requests without a key', { skip: NO_SQLITE3 }, () => {
  const s = setup();
  const r = s.route({ previous_response_id: 'resp_keyless' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^previous_response_id: resp_keyless, kept in sqlite:\S+: the conversation lives at provider a, so the plan is pinned there$/m);
  assert.match(r.stdout, /^x-tollbooth-plan: a=ordered;b=skip:conversation_elsewhere\(a\)$/m);

  const mine = s.route({ previous_response_id: 'resp_at_b' });
  assert.equal(mine.status, 1);
  assert.match(mine.stderr, /^previous_response_id resp_at_b: requests without a key have no such response in sqlite:\S+ \(clients would get 400 previous_response_not_found\)\n$/);
});
