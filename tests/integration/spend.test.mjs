// Budgets from the command line, and the ledger's reports (`tollbooth spend`, `tollbooth
// contracts`) on a real SQLite store, as an operator would run them: exit codes, tables, CSV,
// JSON and exact dollars. The ledger is seeded with the sqlite3 shell, in the two tables
// docs/money.md describes (the gateway's writer is not part of this test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './harness.mjs';

const HAVE_SQLITE3 = spawnSync('sqlite3', ['-version']).status === 0;
const NO_SQLITE3 = HAVE_SQLITE3 ? false
  : 'the sqlite3 shell is not installed (apt-get install sqlite3): the ledger cannot be seeded';

function run(args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { PATH: process.env.PATH, USER: 'tester' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The UTC date `days` from today, as YYYY-MM-DD.
function utcDate(days = 0) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tollbooth-spend-'));
  const config = join(dir, 'tollbooth.yaml');
  const db = join(dir, 't.db');
  const year = new Date().getUTCFullYear();
  writeFileSync(config, `providers:
  azure-east:
    kind: azure
    endpoint: https://example.openai.azure.com
    api_key: env:AZURE_KEY_NOT_SET
    api_version: 2024-10-21
  bedrock-us:
    kind: bedrock
    region: us-east-1
  openai:
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: sk-not-used
models:
  gpt-4o:
    routes:
      - provider: azure-east
        deployment: gpt4o
      - provider: bedrock-us
        model_id: openai.gpt-4o
      - provider: openai
auth: none
store:
  sqlite: ${db}
contracts:
  microsoft:
    providers: [azure-east]
    license_until: ${utcDate(100)}
    commitment: { usd: 1000000, from: ${year}-01-01, to: ${year}-12-31 }
  bedrock-marketplace:
    providers: [bedrock-us]
    revenue_share: { percent: 20, of: charge, cap_usd: 250, until: ${utcDate(10)} }
`);
  const tb = (...args) => run([...args, '-c', config]);
  const ok = (...args) => {
    const r = tb(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  };
  const json = (...args) => JSON.parse(ok(...args));
  const sql = (text) => {
    const r = spawnSync('sqlite3', [db], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  return { dir, config, db, year, tb, ok, json, sql };
}

test('budgets and a markup set with the CLI show in keys show, teams show and the audit log', () => {
  const s = setup();
  s.ok('teams', 'create', 'research', '--budget', '500/month', '--soft', '80%', '--markup', '12.5%');
  const made = s.json('keys', 'create', '--team', 'research', '--budget', '$49.99/week', '--json');
  const id = made.key.id;
  assert.deepEqual(made.key.budget,
    { usd: '49.99', limit_micros: 49990000, per: 'week', soft_percent: null });

  assert.match(s.ok('keys', 'show', id), /^budget:\s+49\.99 USD per week \(from Monday\)$/m);
  const team = s.ok('teams', 'show', 'research');
  assert.match(team, /^budget:\s+500 USD per month, soft limit at 80%$/m);
  assert.match(team, /^markup:\s+12\.5%$/m);

  // An update changes what it names; the rest of the budget stays.
  s.ok('keys', 'update', id, '--soft', '90');
  s.ok('keys', 'update', id, '--budget', '0.000001/total');
  assert.deepEqual(s.json('keys', 'show', id, '--json').budget,
    { usd: '0.000001', limit_micros: 1, per: 'total', soft_percent: 90 });
  s.ok('keys', 'update', id, '--budget', '75');
  assert.equal(s.json('keys', 'show', id, '--json').budget.per, 'total', 'no period: kept');
  s.ok('teams', 'update', 'research', '--budget', 'none', '--markup', 'none');
  assert.match(s.ok('teams', 'show', 'research'), /^budget:\s+none$/m);
  assert.match(s.ok('teams', 'show', 'research'), /^markup:\s+none$/m);

  const audit = s.json('audit', '--json').data;
  const last = audit[audit.length - 1];
  assert.equal(last.action, 'team.update');
  assert.equal(last.before.budget.usd, '500');
  assert.equal(last.before.markup_percent, 12.5);
  assert.equal(last.after.budget, null);

  // Bad values: exit 2, a message naming the flag, nothing written.
  const entries = audit.length;
  for (const [flags, said] of [
    [['--budget', '50/fortnight'], /"fortnight" is not a period; expected day, week, month or total/],
    [['--budget', 'fifty/month'], /--budget fifty\/month: not an amount of dollars/],
    [['--budget', '0/month'], /not an amount of dollars; expected a number above 0/],
    [['--budget', '1.0000001'], /at most six decimals/],
    [['--soft', '120%'], /--soft 120%: not a percentage; expected a number from 0 to 100/],
    [['--markup', 'lots'], /--markup lots: not a percentage/],
    [['--budget', 'none', '--soft', '80%'], /--soft cannot go with --budget none/],
  ]) {
    const r = s.tb('teams', 'update', 'research', ...flags);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, said);
  }
  const soft = s.tb('keys', 'create', '--soft', '80%');
  assert.equal(soft.status, 2);
  assert.match(soft.stderr, /--soft needs --budget/);
  // A soft limit on a team without a budget is the API's refusal: exit 1, its message.
  const refused = s.tb('teams', 'update', 'research', '--soft', '80%');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^error: budget\.usd is missing/);
  assert.equal(s.json('audit', '--json').data.length, entries);
});

test('spend sums the ledger by any dimension, as a table, CSV or JSON, in exact dollars',
  { skip: NO_SQLITE3 }, () => {
  const s = setup();
  s.ok('teams', 'create', 'research');
  const key = s.json('keys', 'create', '--team', 'research', '--json').key.id;
  // Rows of 2027-03-01 and 03-02 (UTC): a request with a fallback (two rows), an estimated
  // one without a key, and one of February outside the window.
  // The ledger is two tables (docs/money.md): each row's terms once in ledger_terms, the rows
  // in ledger_entries, ids of run 1 (2^40 + n).
  const terms = 'id, key_id, team, model, route, provider, contract, region, priced, ' +
    'input_per_mtok, cached_input_per_mtok, cache_write_per_mtok, output_per_mtok, discount_bp, ' +
    'markup_bp, toll_cap_micros, commitment_period';
  const entries = 'id, terms_id, request_id, attempt, at_ms, input_tokens, cached_input_tokens, ' +
    'cache_write_input_tokens, output_tokens, reasoning_tokens, reported, cost_micros, ' +
    'charge_micros, toll_due_micros, toll_micros, commitment_burn_micros, latency_ms, status, outcome';
  const run = 2 ** 40;
  const mar1 = Date.UTC(2027, 2, 1);
  s.sql(`INSERT INTO ledger_runs (id, started_ms, ended_ms, rows_written, last_row_ms)
           VALUES (1, ${mar1}, 0, 4, ${mar1});
         INSERT INTO ledger_terms (${terms}) VALUES
         (1, '${key}', 'research', 'gpt-4o', 'azure-east', 'azure-east', 'microsoft', 'eastus', 1,
          2500000, 1250000, -1, 10000000, 0, 1000, -1, '2027-01-01..2027-12-31'),
         (2, '${key}', 'research', 'gpt-4o', 'bedrock-us', 'bedrock-us', 'bedrock-marketplace',
          'us-east-1', 1, 2500000, -1, -1, 10000000, 0, 1000, 250000000, ''),
         (3, '', '', 'o3', 'openai', 'openai', '', '', 1, 2500000, 1250000, -1, 10000000, 0, 0, -1,
          ''),
         (4, '${key}', 'research', 'gpt-4o', 'openai', 'openai', '', '', 1, 1, 1, 1, 1, 0, 0, -1,
          '');
         INSERT INTO ledger_entries (${entries}) VALUES
         (${run + 1}, 1, 'req_1', 1, ${mar1 + 1000}, 1200, 200, 0, 300, 20, 1, 5750, 6325, 0, 0,
          5750, 840, 502, 'failed_final'),
         (${run + 2}, 2, 'req_1', 2, ${mar1 + 1000}, 800, 0, 0, 150, 0, 1, 3500, 3850, 770, 770,
          0, 1610, 200, 'served'),
         (${run + 3}, 3, 'req_2', 1, ${mar1 + 86400000}, 500, 0, 0, 40, 0, 0, 1650, 1650, 0, 0, 0,
          3020, 200, 'served'),
         (${run + 4}, 4, 'req_0', 1, ${mar1 - 1}, 1, 0, 0, 1, 0, 1, 999999, 999999, 0, 0, 0, 1,
          200, 'served');`);
  const window = ['--since', '2027-03-01', '--until', '2027-04-01'];

  const table = s.ok('spend', '--by', 'key', ...window).split('\n');
  assert.equal(table[0],
    'Spend by key from 2027-03-01T00:00:00Z to 2027-04-01T00:00:00Z (until excluded); amounts in USD');
  assert.match(table[2], /^KEY\s+REQUESTS\s+ROWS\s+INPUT\s+CACHED\s+CACHE_WRITE\s+OUTPUT\s+REASONING\s+COST\s+CHARGE\s+TOLL\s+BURN\s+ESTIMATED\s+UNPRICED$/);
  assert.deepEqual(table[3].split(/\s+/), ['(none)', '1', '1', '500', '0', '0', '40', '0', '0.00165', '0.00165', '0', '0', '1', '0']);
  assert.deepEqual(table[4].split(/\s+/), [key, '1', '2', '2000', '200', '0', '450', '20', '0.00925', '0.010175', '0.00077', '0.00575', '0', '0']);
  assert.deepEqual(table[5].split(/\s+/), ['TOTAL', '2', '3', '2500', '200', '0', '490', '20', '0.0109', '0.011825', '0.00077', '0.00575', '1', '0']);

  assert.equal(s.ok('spend', '--by', 'day', ...window, '--format', 'csv'),
    'day,requests,rows,input_tokens,cached_input_tokens,cache_write_input_tokens,output_tokens,' +
    'reasoning_tokens,cost_usd,charge_usd,toll_usd,commitment_burn_usd,estimated_rows,unpriced_rows\n' +
    '2027-03-01,1,2,2000,200,0,450,20,0.00925,0.010175,0.00077,0.00575,0,0\n' +
    '2027-03-02,1,1,500,0,0,40,0,0.00165,0.00165,0,0,1,0\n');

  const byProvider = s.json('spend', '--by', 'provider', ...window, '--team', 'research',
    '--format', 'json');
  assert.equal(byProvider.by, 'provider');
  assert.equal(byProvider.team, 'research');
  assert.deepEqual(byProvider.data.map((g) => [g.group, g.cost_micros, g.cost_usd]),
    [['azure-east', 5750, '0.00575'], ['bedrock-us', 3500, '0.0035']]);
  assert.equal(byProvider.total.requests, 1, 'the fallback is one request');

  const byContract = s.json('spend', '--by', 'contract', '--since', '2027-02-01', '--key', key,
    '--format', 'json');
  assert.deepEqual(byContract.data.map((g) => g.group), ['', 'bedrock-marketplace', 'microsoft']);
  assert.equal(byContract.total.cost_usd, '1.009249', 'February is in this window');

  // --over: each group per UTC hour or day, a time series (the dashboard's charts).
  assert.equal(s.ok('spend', '--by', 'team', '--over', 'hour', ...window, '--format', 'csv'),
    'team,bucket,requests,rows,input_tokens,cached_input_tokens,cache_write_input_tokens,' +
    'output_tokens,reasoning_tokens,cost_usd,charge_usd,toll_usd,commitment_burn_usd,' +
    'estimated_rows,unpriced_rows\n' +
    ',2027-03-02T00:00:00Z,1,1,500,0,0,40,0,0.00165,0.00165,0,0,1,0\n' +
    'research,2027-03-01T00:00:00Z,1,2,2000,200,0,450,20,0.00925,0.010175,0.00077,0.00575,0,0\n');
  const perDay = s.ok('spend', '--by', 'model', '--over', 'day', ...window).split('\n');
  assert.equal(perDay[0], 'Spend by model per day from 2027-03-01T00:00:00Z to 2027-04-01T00:00:00Z ' +
    '(until excluded); amounts in USD');
  assert.match(perDay[2], /^MODEL\s+BUCKET\s+REQUESTS\s/);
  assert.deepEqual(perDay[3].split(/\s+/).slice(0, 3), ['gpt-4o', '2027-03-01', '1']);
  assert.deepEqual(perDay[4].split(/\s+/).slice(0, 3), ['o3', '2027-03-02', '1']);
  assert.deepEqual(perDay[5].split(/\s+/).slice(0, 2), ['TOTAL', '2']);

  assert.match(s.ok('spend', '--since', '2030-01-01'), /no ledger rows/);

  for (const [flags, said] of [
    [['--since', 'yesterday'], /--since yesterday: not a date or an instant/],
    [['--until', '2027-13-01'], /--until 2027-13-01: not a date or an instant/],
    [['--by', 'colour'], /colour/],
    [['--over', 'minute'], /minute/],
    [['--format', 'xml'], /xml/],
  ]) {
    const r = s.tb('spend', ...flags);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, said);
  }
  const backwards = s.tb('spend', '--since', '2027-03-02', '--until', '2027-03-01');
  assert.equal(backwards.status, 1);
  assert.match(backwards.stderr, /^error: until \(2027-03-01T00:00:00Z\) is not after since/);
});

test('contracts sets tolls against the cap and burn against its pro-rata target for today',
  { skip: NO_SQLITE3 }, () => {
  const s = setup();
  const period = `${s.year}-01-01..${s.year}-12-31`;
  assert.match(s.ok('contracts'), /^bedrock-marketplace\s+yes\s+0\s+250\s+250\s/m,
    'a new store: nothing paid yet');
  s.sql(`INSERT INTO contract_tolls (contract, paid_micros) VALUES ('bedrock-marketplace', 249999999);
         INSERT INTO contract_burn (contract, period, burn_micros) VALUES ('microsoft', '${period}', 123456789);
         INSERT INTO contract_tolls (contract, paid_micros) VALUES ('old-deal', 5);`);

  const reply = s.json('contracts', '--format', 'json');
  assert.equal(reply.today, utcDate());
  assert.deepEqual(reply.data.map((c) => [c.name, c.configured]),
    [['bedrock-marketplace', true], ['microsoft', true], ['old-deal', false]]);
  const [market, ms] = reply.data;
  assert.equal(market.tolls_paid_usd, '249.999999');
  assert.equal(market.revenue_share.left_usd, '0.000001');
  assert.equal(market.revenue_share.days_left, 10);
  assert.equal(ms.license_days_left, 100);

  // The target: $1,000,000 × days elapsed (today included) / days in the year, rounded down.
  const start = Date.UTC(s.year, 0, 1);
  const days = BigInt((Date.UTC(s.year + 1, 0, 1) - start) / 86400000);
  const elapsed = BigInt(Math.floor((Date.now() - start) / 86400000) + 1);
  const target = 1000000000000n * elapsed / days;
  assert.equal(ms.commitment.days_in_period, Number(days));
  assert.equal(ms.commitment.days_elapsed, Number(elapsed));
  assert.equal(BigInt(ms.commitment.target_micros), target);
  assert.equal(BigInt(ms.commitment.ahead_micros), 123456789n - target);
  assert.equal(ms.commitment.burned_usd, '123.456789');

  const csv = s.ok('contracts', '--format', 'csv').split('\n');
  assert.equal(csv[0], 'contract,configured,tolls_paid_usd,toll_cap_usd,toll_left_usd,share_until,' +
    'share_days_left,commitment_usd,commitment_period,burned_usd,target_usd,ahead_usd,' +
    'license_until,license_days_left');
  assert.equal(csv[1],
    `bedrock-marketplace,yes,249.999999,250,0.000001,${utcDate(10)},10,,,,,,,`);
  assert.equal(csv[3], 'old-deal,no,0.000005,,,,,,,,,,,');

  const table = s.ok('contracts').split('\n');
  assert.match(table[0], /^Contracts on \d{4}-\d{2}-\d{2} \(UTC\); amounts in USD/);
  assert.match(table[2], /^CONTRACT\s+CONFIGURED\s+TOLLS_PAID\s+TOLL_CAP\s+TOLL_LEFT/);
  assert.match(table[4], new RegExp(`^microsoft\\s+yes\\s+0\\s+-\\s+-\\s+-\\s+-\\s+1000000\\s+${period}\\s+123\\.456789\\s`));
});
