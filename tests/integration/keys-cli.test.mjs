// `tollbooth keys|teams|audit`: the admin operations from the command line against a real
// SQLite store, as an operator would run them (exit codes, human and --json output), and the
// promise that a key's secret is shown once and kept nowhere in plain text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './harness.mjs';

const SECRET_FORM = /^tk-[A-Za-z0-9_-]{43}$/;

function run(args, { env = {}, cwd } = {}) {
  const r = spawnSync(BIN, args, {
    encoding: 'utf8',
    cwd,
    env: { PATH: process.env.PATH, USER: 'tester', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A config with one team and one key declared in the file, and its own SQLite store.
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-keys-'));
  const declared = run(['keys', 'secret']).stdout.trim();
  const config = join(dir, 'tollbooth.yaml');
  const db = join(dir, 't.db');
  writeFileSync(config, `providers:
  openai:
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: sk-not-used
models:
  gpt-4o:
    routes:
      - provider: openai
auth: none
store:
  sqlite: ${db}
teams:
  platform:
    scopes: [chat]
keys:
  ci-bot:
    secret: env:CI_BOT_SECRET
    team: platform
`);
  const env = { CI_BOT_SECRET: declared };
  const tb = (...args) => run([...args, '-c', config], { env });
  const ok = (...args) => {
    const r = tb(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  };
  const json = (...args) => JSON.parse(ok(...args, '--json'));
  // The database and its write-ahead log, as bytes on disk.
  const dbText = () => [db, `${db}-wal`, `${db}-journal`]
    .filter((p) => existsSync(p)).map((p) => readFileSync(p).toString('latin1')).join('');
  return { dir, config, db, declared, tb, ok, json, dbText };
}

test('keys secret prints a fresh secret without a config or a store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-keys-'));
  const a = run(['keys', 'secret'], { cwd: dir });
  const b = run(['keys', 'secret'], { cwd: dir });
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout.trim(), SECRET_FORM);
  assert.match(b.stdout.trim(), SECRET_FORM);
  assert.notEqual(a.stdout, b.stdout);
});

test('keys create shows the secret once; list, show, the store and the audit log never do', () => {
  const s = setup();
  s.ok('teams', 'create', 'research', '--scopes', 'chat,models');
  const created = s.json('keys', 'create', '--alias', 'notebook', '--team', 'research',
    '--scopes', 'chat,models', '--models', 'gpt-4o*,o3', '--regions', 'us-*', '--rpm', '10',
    '--tpm', '20000', '--max-parallel', '2', '--expires', '2099-01-01',
    '--metadata', '{"owner":"ana"}');
  const { key, secret } = created;
  assert.match(secret, SECRET_FORM);
  assert.match(key.id, /^key_[0-9a-f]{16}$/);
  assert.equal(key.alias, 'notebook');
  assert.equal(key.team, 'research');
  assert.deepEqual(key.scopes, ['chat', 'models']);
  assert.deepEqual(key.models, ['gpt-4o*', 'o3']);
  assert.deepEqual(key.regions, ['us-*']);
  assert.equal(key.rpm, 10);
  assert.equal(key.tpm, 20000);
  assert.equal(key.max_parallel, 2);
  assert.equal(key.expires_at, '2099-01-01T00:00:00Z');
  assert.deepEqual(key.metadata, { owner: 'ana' });
  assert.equal(key.source, 'store');
  assert.equal(key.secrets[0].last4, secret.slice(-4));

  const list = s.ok('keys', 'list');
  const lines = list.trim().split('\n');
  assert.match(lines[0], /^ID\s+ALIAS\s+TEAM\s+SCOPES\s+LAST4\s+EXPIRES\s+REVOKED$/);
  const row = lines.find((l) => l.startsWith(key.id));
  assert.ok(row, list);
  assert.match(row, new RegExp(`^${key.id}\\s+notebook\\s+research\\s+chat,models\\s+${secret.slice(-4)}\\s+2099-01-01T00:00:00Z\\s+-$`));
  assert.ok(lines.some((l) => /^ci-bot\s+ci-bot\s+platform\s+chat,responses,embeddings,models\s+/.test(l)), list);

  const outputs = [list, s.ok('keys', 'list', '--json'), s.ok('keys', 'show', key.id),
    s.ok('keys', 'show', key.id, '--json'), s.ok('audit'), s.ok('audit', '--json'),
    s.ok('keys', 'show', 'ci-bot')];
  for (const out of outputs) {
    assert.ok(!out.includes(secret), 'the secret is never shown again');
    assert.ok(!out.includes(s.declared), 'nor a config key\'s secret');
  }
  assert.ok(!s.dbText().includes(secret), 'the store keeps no secret in plain text');
  assert.ok(!s.dbText().includes(secret.slice(3)));

  // Human create: the secret on its own line, once, with the warning.
  const human = s.ok('keys', 'create', '--alias', 'laptop');
  const shown = human.split('\n').map((l) => l.trim()).filter((l) => SECRET_FORM.test(l));
  assert.equal(shown.length, 1, human);
  assert.match(human, /will not be shown again/);
  assert.ok(!s.dbText().includes(shown[0]));

  const show = s.ok('keys', 'show', key.id);
  assert.match(show, new RegExp(`^id:\\s+${key.id}$`, 'm'));
  assert.match(show, /^alias:\s+notebook$/m);
  assert.match(show, /^rpm:\s+10$/m);
  assert.match(show, /^expires:\s+2099-01-01T00:00:00Z$/m);
  assert.match(show, /^revoked:\s+no$/m);
  assert.match(show, /^source:\s+store$/m);
});

test('keys update, rotate, revoke; teams; and the audit log lists it all in order', () => {
  const s = setup();
  s.ok('teams', 'create', 'research', '--rpm', '100', '--metadata', '{"cost_center":"r1"}');
  const { key, secret: first } = s.json('keys', 'create', '--alias', 'a', '--team', 'research',
    '--expires', '2099-01-01');

  const updated = s.json('keys', 'update', key.id, '--alias', 'renamed', '--rpm', '5',
    '--expires', 'never', '--team', '');
  assert.equal(updated.alias, 'renamed');
  assert.equal(updated.rpm, 5);
  assert.equal(updated.expires_at, null);
  assert.equal(updated.team, null);
  assert.match(s.ok('keys', 'update', key.id, '--scopes', 'chat'), /^Updated key key_/);
  assert.deepEqual(s.json('keys', 'show', key.id).scopes, ['chat']);

  const before = Date.now();
  const rotated = s.json('keys', 'rotate', key.id, '--grace', '1h');
  assert.match(rotated.secret, SECRET_FORM);
  assert.notEqual(rotated.secret, first);
  assert.equal(rotated.key.secrets.length, 2);
  assert.equal(rotated.key.secrets[0].last4, rotated.secret.slice(-4));
  assert.equal(rotated.key.secrets[0].valid_until, null);
  assert.equal(rotated.key.secrets[1].last4, first.slice(-4));
  const until = Date.parse(rotated.key.secrets[1].valid_until);
  assert.ok(until >= before + 3600_000 - 1000 && until <= Date.now() + 3600_000 + 1000,
    rotated.key.secrets[1].valid_until);

  const human = s.ok('keys', 'rotate', key.id);
  assert.match(human, /will not be shown again/);
  assert.match(human, new RegExp(`previous secret …${rotated.secret.slice(-4)} no longer works`));
  // The new one, the one just replaced (ended now), and the first one, still in its grace.
  assert.deepEqual(s.json('keys', 'show', key.id).secrets.slice(1).map((x) => x.last4),
    [rotated.secret.slice(-4), first.slice(-4)]);
  assert.match(s.ok('keys', 'show', key.id),
    new RegExp(`^secrets:.*\\(current\\), …${rotated.secret.slice(-4)} \\(ended .*\\), …${first.slice(-4)} \\(valid until`, 'm'));
  for (const sec of [first, rotated.secret]) assert.ok(!s.dbText().includes(sec));

  assert.match(s.ok('keys', 'revoke', key.id), /is revoked/);
  assert.match(s.ok('keys', 'revoke', key.id), /is revoked/, 'revoking again is fine');
  assert.ok(!s.ok('keys', 'list').includes(key.id));
  assert.ok(s.ok('keys', 'list', '--include-revoked').includes(key.id));
  assert.equal(s.json('keys', 'list', '--team', 'platform').data.map((k) => k.id).join(), 'ci-bot');

  const teams = s.json('teams', 'list').data;
  assert.deepEqual(teams.map((t) => [t.id, t.source]), [['platform', 'config'], ['research', 'store']]);
  assert.match(s.ok('teams', 'list'), /^research\s+chat,responses,embeddings,models,routing:explain,admin,metrics\s+any\s+any\s+100\s+/m);
  assert.equal(s.json('teams', 'update', 'research', '--tpm', '5000').tpm, 5000);
  assert.match(s.ok('teams', 'show', 'research'), /^tpm:\s+5000$/m);
  s.ok('teams', 'create', 'temp');
  assert.match(s.ok('teams', 'delete', 'temp'), /Deleted team temp/);

  const audit = s.json('audit');
  assert.deepEqual(audit.data.map((e) => e.action), ['team.create', 'key.create', 'key.update',
    'key.update', 'key.rotate', 'key.rotate', 'key.revoke', 'team.update', 'team.create',
    'team.delete']);
  assert.ok(audit.data.every((e) => e.actor === 'cli:tester'));
  assert.equal(audit.data[1].target, `key:${key.id}`);
  assert.equal(audit.data[2].before.alias, 'a');
  assert.equal(audit.data[2].after.alias, 'renamed');
  assert.equal(audit.last_id, audit.data.at(-1).id);
  const text = s.ok('audit');
  assert.match(text.split('\n')[0], /^ID\s+AT\s+ACTOR\s+ACTION\s+TARGET$/);
  assert.match(text, new RegExp(`cli:tester\\s+key\\.rotate\\s+key:${key.id}`));
  const page = s.json('audit', '--after', String(audit.data[1].id), '--limit', '2');
  assert.deepEqual(page.data.map((e) => e.action), ['key.update', 'key.update']);
});

test('refusals exit 1 with the reason on stderr; bad options exit 2', () => {
  const s = setup();
  const { key } = s.json('keys', 'create', '--alias', 'x');
  const refused = (args, pattern) => {
    const r = s.tb(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, pattern);
  };
  refused(['keys', 'show', 'key_0000000000000000'], /no key key_0000000000000000/);
  refused(['keys', 'update', 'ci-bot', '--alias', 'y'], /declared in the config file/);
  refused(['keys', 'revoke', 'ci-bot'], /read-only/);
  refused(['teams', 'delete', 'platform'], /declared in the config file/);
  refused(['keys', 'create', '--team', 'nope'], /team nope does not exist/);
  refused(['keys', 'create', '--scopes', 'chat,sudo'], /"sudo" is not a scope/);
  refused(['keys', 'create', '--expires', '2020-01-01'], /not in the future/);
  refused(['keys', 'create', '--metadata', '{"x":"' + 'a'.repeat(17000) + '"}'], /metadata/);
  refused(['teams', 'create', 'bad name'], /not a team name/);
  refused(['teams', 'create', 'platform'], /declared in the config file/);
  refused(['audit', '--limit', '5000'], /limit=5000/);
  const missing = run(['keys', 'list', '-c', join(s.dir, 'missing.yaml')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /missing\.yaml/);
  s.ok('teams', 'create', 'busy');
  s.ok('keys', 'update', key.id, '--team', 'busy');
  refused(['teams', 'delete', 'busy'], /named by 1 key/);

  const usage = (args, pattern) => {
    const r = s.tb(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    if (pattern) assert.match(r.stderr, pattern);
  };
  usage(['keys', 'create', '--rpm', '-1']);
  usage(['keys', 'create', '--rpm', 'lots']);
  usage(['keys', 'create', '--colour', 'red']);
  usage(['keys', 'rotate', key.id, '--grace', '1y'], /--grace 1y/);
  usage(['keys', 'create', '--metadata', 'not json'], /--metadata/);
  usage(['keys', 'create', '--expires', 'soon'], /--expires soon/);
  usage(['keys', 'update', key.id], /nothing to change/);
  usage(['keys', 'show']);
  usage(['keys']);
  assert.equal(run(['keys', 'frobnicate']).status, 2);
});

test('the commands need no provider secret, only the store\'s address', () => {
  // A config as deployed: every secret an env: variable. Managing keys reads none of the
  // providers' (nor the declared keys' when unset): they are exported where the gateway runs,
  // not necessarily where an operator runs the CLI.
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-keys-'));
  const config = join(dir, 'tollbooth.yaml');
  writeFileSync(config, `providers:
  openai:
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: env:TB_TEST_UNSET_OPENAI_KEY
server:
  admin_key: env:TB_TEST_UNSET_ADMIN_KEY
models:
  gpt-4o:
    routes:
      - provider: openai
store:
  sqlite: ${join(dir, 't.db')}
teams:
  platform:
    scopes: [chat]
keys:
  ci-bot:
    secret: env:TB_TEST_UNSET_CI_BOT_SECRET
    team: platform
`);
  const tb = (...args) => run([...args, '-c', config]);
  const created = tb('keys', 'create', '--alias', 'laptop', '--team', 'platform', '--json');
  assert.equal(created.status, 0, created.stderr);
  const { key, secret } = JSON.parse(created.stdout);
  assert.match(secret, SECRET_FORM);
  const list = tb('keys', 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^${key.id}\\s+laptop\\s+platform\\s`, 'm'));
  assert.match(list.stdout, /^ci-bot\s+ci-bot\s+platform\s/m);
  for (const args of [['keys', 'show', key.id], ['teams', 'list'], ['audit']]) {
    const r = tb(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.ok(!tb('keys', 'list', '--json').stdout.includes('(not read)'), 'no placeholder shown');

  // The store's own address, when it is a variable, is read, and must be set: the error says
  // which variable.
  const pg = join(dir, 'pg.yaml');
  writeFileSync(pg, readFileSync(config, 'utf8').replace(`sqlite: ${join(dir, 't.db')}`,
    'postgres: env:TB_TEST_UNSET_DATABASE_URL'));
  const refused = run(['keys', 'list', '-c', pg]);
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, /cannot open the store: .*store\.postgres.* env:TB_TEST_UNSET_DATABASE_URL/);
  assert.match(refused.stderr, /TB_TEST_UNSET_DATABASE_URL is not set/);
  // Set, it is used (here an address where nothing listens: the error is the database's).
  const used = run(['keys', 'list', '-c', pg], { env: {
    TB_TEST_UNSET_DATABASE_URL: 'postgresql://tb:pw@127.0.0.1:1/tb?connect_timeout=2' } });
  assert.equal(used.status, 1);
  assert.match(used.stderr, /cannot open the store: postgres:127\.0\.0\.1:1\/tb/);
  assert.ok(!used.stderr.includes('pw@'), used.stderr);
});

test('--help of each command describes its options', () => {
  const help = (...args) => {
    const r = run([...args, '--help']);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const create = help('keys', 'create');
  for (const flag of ['--alias', '--team', '--scopes', '--models', '--regions', '--rpm', '--tpm',
    '--max-parallel', '--expires', '--metadata', '--json', '--config']) {
    assert.ok(create.includes(flag), `keys create --help lists ${flag}`);
  }
  assert.match(create, /shown only this once/);
  assert.match(help('keys', 'rotate'), /--grace/);
  assert.match(help('keys', 'list'), /--include-revoked/);
  assert.match(help('keys', 'update'), /never \(or ''\) to remove the expiry/);
  assert.match(help('audit'), /--after/);
  assert.match(help('teams', 'delete'), /refused while keys/);
  const keys = help('keys');
  for (const sub of ['create', 'list', 'show', 'update', 'revoke', 'rotate', 'secret']) {
    assert.match(keys, new RegExp(`^\\s+${sub}\\b`, 'm'));
  }
  const teams = help('teams');
  for (const sub of ['create', 'list', 'show', 'update', 'delete']) {
    assert.match(teams, new RegExp(`^\\s+${sub}\\b`, 'm'));
  }
});
