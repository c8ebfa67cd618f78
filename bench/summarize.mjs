// Turns bench/run's per-run TSV into medians, a table on stdout and a markdown summary file.
// Usage: node bench/summarize.mjs --tsv FILE --md FILE --clk-tck 100 [--stamp S] [--machine M]
//        [--versions V] [--settings S] [--load L] [--access-log NOTE] [--ledger NOTE]
// Tables for the targets that ran: non-streamed (direct, nginx, tollbooth, bedrock, baseline),
// streamed (the same with -stream), and keys, redis and money (tollbooth with virtual keys and
// rate limits, counted in the process or in Redis; and with budgets, a markup and the ledger)
// against tollbooth (auth: none); a table none of whose targets ran is left out.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    tsv: { type: 'string' }, md: { type: 'string' }, 'clk-tck': { type: 'string', default: '100' },
    stamp: { type: 'string', default: '' }, machine: { type: 'string', default: '' },
    versions: { type: 'string', default: '' }, load: { type: 'string', default: '' }, settings: { type: 'string', default: '' },
    'access-log': { type: 'string', default: '' }, ledger: { type: 'string', default: '' },
  },
});
const usPerTick = 1e6 / Number(opt['clk-tck']);

// Goals the gateway is held to (DESIGN.md); the summary prints PASS/MISS for each.
const GOAL_RATIO = 0.8;       // tollbooth req/s >= 0.8 x nginx at 64 connections
const GOAL_ADDED_P50 = 50;    // tollbooth p50 - direct p50 < 50 us at 8 connections
const GOAL_RSS_MB = 50;       // tollbooth peak RSS (VmHWM) < 50 MB
const GOAL_KEYS = 0.95;       // keys req/s >= 0.95 x tollbooth (auth: none), same run (issue 10)
const GOAL_REDIS = 0.8;       // redis req/s >= 0.8 x tollbooth: an aim, reported (issue 10)
const GOAL_MONEY = 0.9;       // money req/s >= 0.9 x tollbooth: keys, limits, budgets, ledger (issue 11)
const GOAL_RESPONSES = 0.6;   // responses-stream req/s >= 0.6 x nginx-stream (issue 12)

const [header, ...lines] = readFileSync(opt.tsv, 'utf8').trim().split('\n');
const cols = header.split('\t');
const runs = lines.map((l) => {
  const r = Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v]));
  const requests = Number(r.requests);
  return {
    n: Number(r.workers), conns: Number(r.conns), target: r.target, round: Number(r.round),
    rps: requests / (Number(r.duration_us) / 1e6),
    p50: Number(r.p50_us), p99: Number(r.p99_us), errors: Number(r.errors), requests,
    proxyCpu: r.proxy_ticks === '-' ? NaN : (Number(r.proxy_ticks) * usPerTick) / requests,
    proxyUser: r.proxy_user_ticks === '-' ? NaN : (Number(r.proxy_user_ticks) * usPerTick) / requests,
    mockCpu: (Number(r.mock_ticks) * usPerTick) / requests,
    rssKb: Number(r.rss_kb), hwmKb: Number(r.hwm_kb),
    other: Number(r.other_pct ?? 0), steal: Number(r.steal_pct ?? 0),
    errStatus: Number(r.err_status ?? NaN),
    // The gateway's access log during the run ('-' for other targets, NaN here).
    logBytes: Number(r.log_bytes ?? NaN), logLines: Number(r.log_lines ?? NaN),
    logNon200: Number(r.log_non200 ?? NaN), log499: Number(r.log_499 ?? NaN),
    // The private Redis's CPU during the run (target redis's limiter); NaN when none ran.
    redisCpu: (r.redis_ticks ?? '-') === '-' ? NaN : (Number(r.redis_ticks) * usPerTick) / requests,
  };
});

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const uniq = (xs) => [...new Set(xs)];
const TARGETS = ['direct', 'nginx', 'tollbooth'];
const pick = (n, c, t) => runs.filter((r) => r.n === n && r.conns === c && r.target === t);
const med = (n, c, t, key) => median(pick(n, c, t).map((r) => r[key]));
const ran = (...ts) => runs.some((r) => ts.includes(r.target));

const f0 = (x) => (Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const f1 = (x) => (Number.isNaN(x) ? '–' : x.toFixed(1));
const f2 = (x) => (Number.isNaN(x) ? '–' : x.toFixed(2));
const signed = (x) => (Number.isNaN(x) ? '–' : (x >= 0 ? '+' : '') + Math.round(x));
const mb = (kb) => kb / 1024;

// An aligned markdown table: readable on a terminal, renders as a table in markdown.
function table(head, rows, right = head.map((_, i) => i > 0)) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (v, i) => (right[i] ? String(v).padStart(w[i]) : String(v).padEnd(w[i]));
  const line = (r) => `| ${r.map(cell).join(' | ')} |`;
  const rule = `|${w.map((x, i) => (right[i] ? `${'-'.repeat(x + 1)}:` : `${'-'.repeat(x + 2)}`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

const Ns = uniq(runs.map((r) => r.n)).sort((a, b) => a - b);
const Cs = uniq(runs.map((r) => r.conns)).sort((a, b) => a - b);
const rounds = uniq(runs.map((r) => r.round)).length;
const keys = Ns.flatMap((n) => Cs.map((c) => [n, c]));

const throughput = table(
  ['N', 'conns', 'direct req/s', 'nginx req/s', 'tollbooth req/s', 'tollbooth/nginx'],
  keys.map(([n, c]) => [n, c, f0(med(n, c, 'direct', 'rps')), f0(med(n, c, 'nginx', 'rps')),
    f0(med(n, c, 'tollbooth', 'rps')), f2(med(n, c, 'tollbooth', 'rps') / med(n, c, 'nginx', 'rps'))]),
);

const latency = table(
  ['N', 'conns', 'p50 direct', 'p50 nginx', 'p50 tollbooth', 'p99 direct', 'p99 nginx',
    'p99 tollbooth', 'added p50 nginx', 'added p50 tollbooth'],
  keys.map(([n, c]) => {
    const d = med(n, c, 'direct', 'p50');
    return [n, c, ...TARGETS.map((t) => f0(med(n, c, t, 'p50'))), ...TARGETS.map((t) => f0(med(n, c, t, 'p99'))),
      signed(med(n, c, 'nginx', 'p50') - d), signed(med(n, c, 'tollbooth', 'p50') - d)];
  }),
);

const cost = table(
  ['N', 'conns', 'nginx CPU µs/req', 'tollbooth CPU µs/req', 'nginx user µs/req',
    'tollbooth user µs/req', 'mock CPU µs/req (direct)', 'tollbooth RSS MB (end)', 'tollbooth peak RSS MB'],
  keys.map(([n, c]) => {
    const tb = pick(n, c, 'tollbooth');
    const last = tb.reduce((a, r) => (a && a.round > r.round ? a : r), null);
    return [n, c, f1(med(n, c, 'nginx', 'proxyCpu')), f1(med(n, c, 'tollbooth', 'proxyCpu')),
      f1(med(n, c, 'nginx', 'proxyUser')), f1(med(n, c, 'tollbooth', 'proxyUser')),
      f1(med(n, c, 'direct', 'mockCpu')), last ? f1(mb(last.rssKb)) : '–',
      tb.length ? f1(mb(Math.max(...tb.map((r) => r.hwmKb)))) : '–'];
  }),
);

// Spread between rounds: min-max of each target's req/s and of the per-round tollbooth/nginx ratio.
const range = (xs, fmt) => (xs.length ? `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}` : '–');
const noise = table(
  ['N', 'conns', 'direct req/s', 'nginx req/s', 'tollbooth req/s', 'tollbooth/nginx per round',
    'max other CPU %'],
  keys.map(([n, c]) => {
    const ratios = pick(n, c, 'tollbooth').map((r) => {
      const ng = pick(n, c, 'nginx').find((x) => x.round === r.round);
      return ng ? r.rps / ng.rps : NaN;
    }).filter((x) => !Number.isNaN(x));
    const all = runs.filter((r) => r.n === n && r.conns === c);
    return [n, c, ...TARGETS.map((t) => range(pick(n, c, t).map((r) => r.rps), f0)), range(ratios, f2),
      f0(Math.max(...all.map((r) => r.other)))];
  }),
);

// The streamed targets ("stream": true, answered as SSE; wrk counts a request once its last chunk
// is in): the same tables, with the Bedrock route's stream (ConverseStream, translated to SSE).
const STREAMED = ['direct-stream', 'nginx-stream', 'tollbooth-stream', 'bedrock-stream'];
const hasStreams = ran(...STREAMED);

const throughputStream = table(
  ['N', 'conns', 'direct-stream req/s', 'nginx-stream req/s', 'tollbooth-stream req/s',
    'bedrock-stream req/s', 'tollbooth-stream/nginx-stream'],
  keys.map(([n, c]) => [n, c, ...STREAMED.map((t) => f0(med(n, c, t, 'rps'))),
    f2(med(n, c, 'tollbooth-stream', 'rps') / med(n, c, 'nginx-stream', 'rps'))]),
);

const latencyStream = table(
  ['N', 'conns', ...STREAMED.map((t) => `p50 ${t}`), ...STREAMED.map((t) => `p99 ${t}`),
    'added p50 nginx-stream', 'added p50 tollbooth-stream'],
  keys.map(([n, c]) => {
    const d = med(n, c, 'direct-stream', 'p50');
    return [n, c, ...STREAMED.map((t) => f0(med(n, c, t, 'p50'))), ...STREAMED.map((t) => f0(med(n, c, t, 'p99'))),
      signed(med(n, c, 'nginx-stream', 'p50') - d), signed(med(n, c, 'tollbooth-stream', 'p50') - d)];
  }),
);

const PROXIED_STREAMS = ['nginx-stream', 'tollbooth-stream', 'bedrock-stream'];
const costStream = table(
  ['N', 'conns', ...PROXIED_STREAMS.map((t) => `${t} CPU µs/req`), ...PROXIED_STREAMS.map((t) => `${t} user µs/req`),
    'mock CPU µs/req (direct-stream)', 'tollbooth peak RSS MB'],
  keys.map(([n, c]) => {
    const tb = [...pick(n, c, 'tollbooth-stream'), ...pick(n, c, 'bedrock-stream')];
    return [n, c, ...PROXIED_STREAMS.map((t) => f1(med(n, c, t, 'proxyCpu'))),
      ...PROXIED_STREAMS.map((t) => f1(med(n, c, t, 'proxyUser'))),
      f1(med(n, c, 'direct-stream', 'mockCpu')),
      tb.length ? f1(mb(Math.max(...tb.map((r) => r.hwmKb)))) : '–'];
  }),
);

const noiseStream = table(
  ['N', 'conns', ...STREAMED.map((t) => `${t} req/s`), 'tollbooth-stream/nginx-stream per round',
    'max other CPU %'],
  keys.map(([n, c]) => {
    const ratios = pick(n, c, 'tollbooth-stream').map((r) => {
      const ng = pick(n, c, 'nginx-stream').find((x) => x.round === r.round);
      return ng ? r.rps / ng.rps : NaN;
    }).filter((x) => !Number.isNaN(x));
    const all = runs.filter((r) => r.n === n && r.conns === c && STREAMED.includes(r.target));
    return [n, c, ...STREAMED.map((t) => range(pick(n, c, t).map((r) => r.rps), f0)), range(ratios, f2),
      all.length ? f0(Math.max(...all.map((r) => r.other))) : '–'];
  }),
);

// Two targets of the same run side by side: req/s, their ratio, p50, CPU and user CPU per request.
function pairTable(x, y, xName, yName) {
  return table(
    ['N', 'conns', `${xName} req/s`, `${yName} req/s`, `${yName}/${xName}`, `p50 ${xName}`,
      `p50 ${yName}`, `CPU µs/req ${xName}`, `CPU µs/req ${yName}`, `user µs/req ${xName}`,
      `user µs/req ${yName}`],
    keys.map(([n, c]) => [n, c, f0(med(n, c, x, 'rps')), f0(med(n, c, y, 'rps')),
      f2(med(n, c, y, 'rps') / med(n, c, x, 'rps')),
      f0(med(n, c, x, 'p50')), f0(med(n, c, y, 'p50')),
      f1(med(n, c, x, 'proxyCpu')), f1(med(n, c, y, 'proxyCpu')),
      f1(med(n, c, x, 'proxyUser')), f1(med(n, c, y, 'proxyUser'))]),
  );
}

// The Bedrock route against the passthrough route of the same gateway: what translation, SigV4
// signing and the answer's translation back cost. The mock verifies every signature, so its CPU
// per request is higher on this route too.
const hasBedrock = runs.some((r) => r.target === 'bedrock');
const bedrock = hasBedrock ? pairTable('tollbooth', 'bedrock', 'passthrough', 'bedrock') : '';
const hasBedrockStream = ran('bedrock-stream') && ran('tollbooth-stream');
const bedrockStream = hasBedrockStream
  ? pairTable('tollbooth-stream', 'bedrock-stream', 'passthrough-stream', 'bedrock-stream') : '';

// tollbooth against an older build of itself (bench/run --baseline), same config, same run.
const hasBaseline = runs.some((r) => r.target === 'baseline');
const baseline = hasBaseline ? pairTable('baseline', 'tollbooth', 'baseline', 'tollbooth') : '';
const hasBaselineStream = ran('baseline-stream');
const baselineStream = hasBaselineStream
  ? pairTable('baseline-stream', 'tollbooth-stream', 'baseline-stream', 'tollbooth-stream') : '';

// Virtual keys and rate limits against auth: none (issue 10): keys = the same gateway config
// with auth: keys and one declared key whose limits never refuse but are counted by the
// process's limiter; redis = the same with the limits counted in Redis; money (issue 11) = keys
// with a team's markup, budgets on the key and the team, and the ledger. With a store, all three
// write the ledger. Each ratio is against tollbooth's median of the same (N, conns); "per round"
// compares runs seconds apart.
const LIMITED = ['keys', 'redis', 'money'].filter((t) => ran(t));
const hasLimited = LIMITED.length > 0;
const perRound = (n, c, x, y) => pick(n, c, y).map((r) => {
  const b = pick(n, c, x).find((q) => q.round === r.round);
  return b ? r.rps / b.rps : NaN;
}).filter((v) => !Number.isNaN(v));
const keysThroughput = table(
  ['N', 'conns', 'tollbooth req/s', ...LIMITED.flatMap((t) => [`${t} req/s`, `${t}/tollbooth`,
    `${t}/tollbooth per round`])],
  keys.map(([n, c]) => [n, c, f0(med(n, c, 'tollbooth', 'rps')), ...LIMITED.flatMap((t) => [
    f0(med(n, c, t, 'rps')), f2(med(n, c, t, 'rps') / med(n, c, 'tollbooth', 'rps')),
    range(perRound(n, c, 'tollbooth', t), f2)])]),
);
const WITH_KEYS = ['tollbooth', ...LIMITED];
const limitedTitle = ran('money') ? 'Virtual keys, rate limits, budgets and the ledger' : 'Virtual keys and rate limits';
const keysWhat = 'the gateway config of tollbooth but with `auth: keys`, an SQLite store (so the ledger too: a row ' +
  'per request) and one key declared in the config whose `rpm`, `tpm` (10^12) and `max_parallel` (10^6) never ' +
  'refuse but are counted on every request';
const redisWhat = 'the limits counted in a private Redis on the same cores (one Redis function call per request)';
const moneyWhat = 'the key in a team with a 10 % markup, key and team budgets of $10^9 a month (never refusing: ' +
  'every request\'s worst case reserved on both and settled to its charge), the routes priced by the bundled price ' +
  'file: each request\'s ledger row priced';
const limitedNote = [
  ran('keys') ? `keys: ${keysWhat}` : '',
  ran('redis') ? `redis: ${ran('keys') ? 'as keys' : keysWhat}, with \`store.redis\`: ${redisWhat}` : '',
  ran('money') ? `money: ${ran('keys') ? 'as keys' : keysWhat}, with ${moneyWhat}` : '',
].filter(Boolean).join('; ') + '.';
const peakMb = (n, t) => {
  const rs = runs.filter((r) => r.n === n && r.target === t);
  return rs.length ? f1(mb(Math.max(...rs.map((r) => r.hwmKb)))) : '–';
};
const keysCost = table(
  ['N', 'conns', ...WITH_KEYS.map((t) => `p50 ${t}`), ...WITH_KEYS.map((t) => `CPU µs/req ${t}`),
    ...WITH_KEYS.map((t) => `user µs/req ${t}`), ...(ran('redis') ? ['Redis CPU µs/req (redis)'] : []),
    ...WITH_KEYS.map((t) => `peak RSS MB ${t}`)],
  keys.map(([n, c]) => [n, c, ...WITH_KEYS.map((t) => f0(med(n, c, t, 'p50'))),
    ...WITH_KEYS.map((t) => f1(med(n, c, t, 'proxyCpu'))), ...WITH_KEYS.map((t) => f1(med(n, c, t, 'proxyUser'))),
    ...(ran('redis') ? [f1(med(n, c, 'redis', 'redisCpu'))] : []), ...WITH_KEYS.map((t) => peakMb(n, t))]),
);

const goals = [];
for (const n of Ns.filter((n) => runs.some((r) => r.n === n && r.target === 'tollbooth'))) {
  if (Cs.includes(64) && ran('nginx')) {
    const ratio = med(n, 64, 'tollbooth', 'rps') / med(n, 64, 'nginx', 'rps');
    goals.push([`throughput ≥ ${GOAL_RATIO}× nginx at 64 connections`, n, `${ratio.toFixed(3)}×`, ratio >= GOAL_RATIO]);
  }
  if (Cs.includes(8) && ran('direct')) {
    const added = med(n, 8, 'tollbooth', 'p50') - med(n, 8, 'direct', 'p50');
    goals.push([`added p50 latency < ${GOAL_ADDED_P50} µs at 8 connections`, n, `${signed(added)} µs`, added < GOAL_ADDED_P50]);
  }
  const hwm = Math.max(...runs.filter((r) => r.n === n && r.target === 'tollbooth').map((r) => r.hwmKb));
  goals.push([`RSS < ${GOAL_RSS_MB} MB (peak VmHWM)`, n, `${f1(mb(hwm))} MB`, mb(hwm) < GOAL_RSS_MB]);
}
// Issue 10: keys (local limits) ≥ 0.95× auth: none, in one run; redis: reported, aiming at 0.8×.
if (ran('tollbooth')) {
  for (const [t, goal, what] of [['keys', GOAL_KEYS, 'keys and local limits'], ['redis', GOAL_REDIS, 'keys and Redis limits (aim)'],
    ['money', GOAL_MONEY, 'keys, limits, budgets and the ledger']]) {
    if (!ran(t)) continue;
    for (const [n, c] of keys) {
      const ratio = med(n, c, t, 'rps') / med(n, c, 'tollbooth', 'rps');
      if (!Number.isNaN(ratio)) goals.push([`${what}: throughput ≥ ${goal}× auth: none at ${c} connections`, n, `${ratio.toFixed(3)}×`, ratio >= goal]);
    }
  }
}
// Issue 12: a Responses stream through the Bedrock translation against nginx's plain streaming
// proxy, in the same run.
const hasResponses = ran('responses-stream') && ran('nginx-stream');
const responsesTable = hasResponses ? table(
  ['N', 'conns', 'nginx-stream req/s', 'responses-stream req/s', 'bedrock-stream req/s', 'responses-stream/nginx-stream',
    'per round', 'CPU µs/req responses-stream', 'p50 responses-stream'],
  keys.map(([n, c]) => {
    const ratios = pick(n, c, 'responses-stream').map((r) => {
      const other = pick(n, c, 'nginx-stream').find((x) => x.round === r.round);
      return other ? r.rps / other.rps : NaN;
    }).filter((x) => !Number.isNaN(x));
    return [n, c, f0(med(n, c, 'nginx-stream', 'rps')), f0(med(n, c, 'responses-stream', 'rps')),
      f0(med(n, c, 'bedrock-stream', 'rps')),
      f2(med(n, c, 'responses-stream', 'rps') / med(n, c, 'nginx-stream', 'rps')), range(ratios, f2),
      f1(med(n, c, 'responses-stream', 'proxyCpu')), f0(med(n, c, 'responses-stream', 'p50'))];
  })) : '';
if (hasResponses) {
  for (const [n, c] of keys) {
    const ratio = med(n, c, 'responses-stream', 'rps') / med(n, c, 'nginx-stream', 'rps');
    if (!Number.isNaN(ratio)) goals.push([`Responses stream through Bedrock ≥ ${GOAL_RESPONSES}× nginx-stream at ${c} connections`, n, `${ratio.toFixed(3)}×`, ratio >= GOAL_RESPONSES]);
  }
}
const goalTable = table(['goal', 'N', 'measured', 'result'],
  goals.map(([g, n, m, ok]) => [g, n, m, ok ? 'PASS' : 'MISS']), [false, true, true, false]);

const errors = runs.reduce((s, r) => s + r.errors, 0);
const statusErrors = runs.reduce((s, r) => s + (r.errStatus || 0), 0);
const errorNote = errors
  ? `**${errors} wrk errors** (${statusErrors} answers with a status ≥ 400` +
    `${errors > statusErrors ? `, ${errors - statusErrors} socket errors or timeouts` : ''}) in: ` +
    uniq(runs.filter((r) => r.errors).map((r) => `N=${r.n} c=${r.conns} ${r.target}`)).join(', ') +
    '. Numbers from those runs are suspect.'
  : 'No wrk errors: no answer with a status ≥ 400, no socket error, no timeout.';
// The gateway's own account, when its access log was on: every request it logged, with its
// status. 499 = the client went away: wrk abandons the requests in flight when it stops.
const logged = runs.filter((r) => !Number.isNaN(r.logLines));
const loggedNon200 = logged.reduce((s, r) => s + r.logNon200, 0);
const logged499 = logged.reduce((s, r) => s + r.log499, 0);
const where = (rs) => uniq(rs.map((r) => `N=${r.n} c=${r.conns} ${r.target}`)).join(', ');
let logNote = '';
if (logged.length) {
  const total = logged.reduce((s, r) => s + r.logLines, 0).toLocaleString('en-US');
  const gone = `${logged499} logged 499 (client gone): the requests in flight when wrk stopped`;
  logNote = loggedNon200
    ? `\n**The gateway's access log has ${loggedNon200} answers neither 200 nor 499** in: ` +
      `${where(logged.filter((r) => r.logNon200))} (their lines are in the .log file).${logged499 ? ` ${gone}.` : ''}`
    : `\nThe gateway's access log agrees: every request it logged in the recorded runs (${total}) was ` +
      `answered 200${logged499 ? `, but for ${gone}` : ''}.`;
  const tooMany = logged.filter((r) => r.log499 > r.conns);
  if (tooMany.length) logNote += ` **More 499s than connections in: ${where(tooMany)}.**`;
}
// Bytes of access log per request: shows the log was written, and how much.
const gw = runs.filter((r) => !Number.isNaN(r.logBytes) && r.requests > 0);
const logBytesPerReq = gw.length ? gw.reduce((s, r) => s + r.logBytes, 0) / gw.reduce((s, r) => s + r.requests, 0) : NaN;

const OTHER_LIMIT = 5;  // % of all cores used by other processes that makes a run suspect
const busy = runs.filter((r) => r.other > OTHER_LIMIT || r.steal > OTHER_LIMIT);
const busyNote = busy.length
  ? `**${busy.length} of ${runs.length} runs shared the machine**: other processes (or the ` +
    `hypervisor, as steal) used more than ${OTHER_LIMIT}% of the cores during them ` +
    `(worst ${f0(Math.max(...busy.map((r) => Math.max(r.other, r.steal))))}%). Rerun on a quiet machine before trusting the numbers.`
  : `The machine was quiet: nothing else used more than ${OTHER_LIMIT}% of the cores during any run.`;

const ledgerNote = opt.ledger ? `The money gateway's ledger (tollbooth spend after it stopped): ${opt.ledger}.` : '';
const accessLog = opt['access-log']
  ? `Gateway access log: ${opt['access-log']}${Number.isNaN(logBytesPerReq) ? '' : ` (${f0(logBytesPerReq)} bytes of log per request)`}.`
  : '';
const hasPlain = ran('direct', 'nginx', 'tollbooth');
const body = `${hasPlain ? `## Throughput (median req/s of ${rounds} round${rounds === 1 ? '' : 's'})

${throughput}

## Latency (median µs; added = p50 minus direct p50)

${latency}

## Cost (median CPU time per request of the proxy process: nginx master + workers, tollbooth all threads; user = the user-space part, the rest is kernel)

${cost}

` : ''}${hasBaseline ? `## Against the baseline build (median; the same config, interleaved in the same run)

${baseline}

` : ''}${hasLimited ? `## ${limitedTitle} (median req/s; ${LIMITED.join(', ')} against tollbooth with auth: none, interleaved in the same run)

${limitedNote}

${keysThroughput}

## ${limitedTitle}: latency and cost (median; CPU = the gateway process${ran('redis') ? ', Redis\'s own CPU in its column' : ''})

${keysCost}

` : ''}${hasBedrock ? `## Bedrock route (median; translated to Converse and back, SigV4-signed, the mock verifying each signature)

${bedrock}

` : ''}${hasPlain ? `## Noise (min–max over rounds; other CPU = what processes other than wrk, the proxy and the mock${ran('redis') ? ' (and target redis\'s Redis)' : ''} used, in % of all cores)

${noise}

` : ''}${hasStreams ? `## Streamed: throughput (median req/s of ${rounds} round${rounds === 1 ? '' : 's'}; "stream": true, SSE answers read to the end; nginx with proxy_buffering off)

${throughputStream}

## Streamed: latency (median µs to the end of the stream; added = p50 minus direct-stream p50)

${latencyStream}

## Streamed: cost (median CPU time per streamed request of the proxy process; user = the user-space part)

${costStream}

` : ''}${hasBaselineStream ? `## Streamed: against the baseline build (median; the same config, interleaved in the same run)

${baselineStream}

` : ''}${hasBedrockStream ? `## Streamed: Bedrock route (median; ConverseStream, event-stream frames translated to SSE, against the passthrough stream)

${bedrockStream}

` : ''}${hasStreams ? `## Streamed: noise (min–max over rounds; other CPU as above, over the streamed runs)

${noiseStream}

` : ''}${hasResponses ? `## The Responses API through the Bedrock translation, streamed (median; per-round ratios against nginx-stream)

POST /v1/responses with "stream": true to the Bedrock route: the request bridged to chat and translated to ConverseStream, its events back to chat chunks and on to Responses events.

${responsesTable}

` : ''}${goals.length ? `## Goals

${goalTable}

` : ''}${errorNote}${logNote}
${busyNote}
${ledgerNote ? `${ledgerNote}
` : ''}`;

const md = `# tollbooth wrk benchmark ${opt.stamp}

- Machine: ${opt.machine}
- Versions: ${opt.versions}
- Settings: ${opt.settings}
- Load average (1/5/15 min): ${opt.load}
${accessLog ? `- ${accessLog}
` : ''}- N = nginx \`worker_processes N\` vs tollbooth \`workers: N\`; mock threads and wrk threads = N.
  wrk, the proxy and the mock share the same cores.

${body}`;

writeFileSync(opt.md, md);
process.stdout.write(`\n${accessLog ? `${accessLog}\n\n` : ''}${body}`);
