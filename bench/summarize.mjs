// Turns bench/run's per-run TSV into medians, a table on stdout and a markdown summary file.
// Usage: node bench/summarize.mjs --tsv FILE --md FILE --clk-tck 100 [--stamp S] [--machine M]
//        [--versions V] [--settings S] [--load L]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    tsv: { type: 'string' }, md: { type: 'string' }, 'clk-tck': { type: 'string', default: '100' },
    stamp: { type: 'string', default: '' }, machine: { type: 'string', default: '' },
    versions: { type: 'string', default: '' }, load: { type: 'string', default: '' }, settings: { type: 'string', default: '' },
  },
});
const usPerTick = 1e6 / Number(opt['clk-tck']);

// Goals the gateway is held to (DESIGN.md); the summary prints PASS/MISS for each.
const GOAL_RATIO = 0.8;       // tollbooth req/s >= 0.8 x nginx at 64 connections
const GOAL_ADDED_P50 = 50;    // tollbooth p50 - direct p50 < 50 us at 8 connections
const GOAL_RSS_MB = 50;       // tollbooth peak RSS (VmHWM) < 50 MB

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

// tollbooth against an older build of itself (bench/run --baseline), same config, same run.
const hasBaseline = runs.some((r) => r.target === 'baseline');
const baseline = hasBaseline ? pairTable('baseline', 'tollbooth', 'baseline', 'tollbooth') : '';

const goals = [];
for (const n of Ns) {
  if (Cs.includes(64)) {
    const ratio = med(n, 64, 'tollbooth', 'rps') / med(n, 64, 'nginx', 'rps');
    goals.push([`throughput ≥ ${GOAL_RATIO}× nginx at 64 connections`, n, `${ratio.toFixed(3)}×`, ratio >= GOAL_RATIO]);
  }
  if (Cs.includes(8)) {
    const added = med(n, 8, 'tollbooth', 'p50') - med(n, 8, 'direct', 'p50');
    goals.push([`added p50 latency < ${GOAL_ADDED_P50} µs at 8 connections`, n, `${signed(added)} µs`, added < GOAL_ADDED_P50]);
  }
  const hwm = Math.max(...runs.filter((r) => r.n === n && r.target === 'tollbooth').map((r) => r.hwmKb));
  goals.push([`RSS < ${GOAL_RSS_MB} MB (peak VmHWM)`, n, `${f1(mb(hwm))} MB`, mb(hwm) < GOAL_RSS_MB]);
}
const goalTable = table(['goal', 'N', 'measured', 'result'],
  goals.map(([g, n, m, ok]) => [g, n, m, ok ? 'PASS' : 'MISS']), [false, true, true, false]);

const errors = runs.reduce((s, r) => s + r.errors, 0);
const errorNote = errors
  ? `**${errors} wrk errors** (non-2xx answers, socket errors or timeouts) in: ` +
    uniq(runs.filter((r) => r.errors).map((r) => `N=${r.n} c=${r.conns} ${r.target}`)).join(', ') +
    '. Numbers from those runs are suspect.'
  : 'No wrk errors: every answer was a 2xx.';

const OTHER_LIMIT = 5;  // % of all cores used by other processes that makes a run suspect
const busy = runs.filter((r) => r.other > OTHER_LIMIT || r.steal > OTHER_LIMIT);
const busyNote = busy.length
  ? `**${busy.length} of ${runs.length} runs shared the machine**: other processes (or the ` +
    `hypervisor, as steal) used more than ${OTHER_LIMIT}% of the cores during them ` +
    `(worst ${f0(Math.max(...busy.map((r) => Math.max(r.other, r.steal))))}%). Rerun on a quiet machine before trusting the numbers.`
  : `The machine was quiet: nothing else used more than ${OTHER_LIMIT}% of the cores during any run.`;

const body = `## Throughput (median req/s of ${rounds} round${rounds === 1 ? '' : 's'})

${throughput}

## Latency (median µs; added = p50 minus direct p50)

${latency}

## Cost (median CPU time per request of the proxy process: nginx master + workers, tollbooth all threads; user = the user-space part, the rest is kernel)

${cost}

${hasBaseline ? `## Against the baseline build (median; the same config, interleaved in the same run)

${baseline}

` : ''}${hasBedrock ? `## Bedrock route (median; translated to Converse and back, SigV4-signed, the mock verifying each signature)

${bedrock}

` : ''}## Noise (min–max over rounds; other CPU = what processes other than wrk, the proxy and the mock used, in % of all cores)

${noise}

## Goals

${goalTable}

${errorNote}
${busyNote}
`;

const md = `# tollbooth wrk benchmark ${opt.stamp}

- Machine: ${opt.machine}
- Versions: ${opt.versions}
- Settings: ${opt.settings}
- Load average (1/5/15 min): ${opt.load}
- N = nginx \`worker_processes N\` vs tollbooth \`workers: N\`; mock threads and wrk threads = N.
  wrk, the proxy and the mock share the same cores.

${body}`;

writeFileSync(opt.md, md);
process.stdout.write(`\n${body}`);
