// Spend over time: one GET /admin/v1/spend?by=<dimension>&over=<hour|day>&since=... per
// chart (team, model, provider, contract), each giving every group's sums per time bucket.
import { get, query } from './api.js';
import { PALETTE, StackedBars } from './chart.js';
import { count, instantParam, usd, usdShort } from './format.js';
import { html } from './html.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export const RANGES = {
  '24h': { label: 'last 24 hours, by hour', over: 'hour', since: (now) => floor(now, HOUR) - 23 * HOUR },
  '7d': { label: 'last 7 days, by hour', over: 'hour', since: (now) => floor(now, HOUR) - 167 * HOUR },
  '30d': { label: 'last 30 days, by day', over: 'day', since: (now) => floor(now, DAY) - 29 * DAY },
  month: {
    label: 'this month, by day',
    over: 'day',
    since: (now) => { const d = new Date(now); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); },
  },
};

export const MEASURES = {
  charge_micros: { label: 'charge', money: true },
  cost_micros: { label: 'cost', money: true },
  toll_micros: { label: 'tolls', money: true },
  commitment_burn_micros: { label: 'commitment burn', money: true },
  requests: { label: 'requests', money: false },
};

const DIMENSIONS = ['team', 'model', 'provider', 'contract'];
const SUMMED = ['requests', 'rows', 'input_tokens', 'output_tokens', 'cost_micros', 'charge_micros',
  'toll_micros', 'commitment_burn_micros', 'estimated_rows', 'unpriced_rows'];
const MAX_SERIES = 9;  // PALETTE has a tenth colour for the rest

function floor(ms, step) {
  return Math.floor(ms / step) * step;
}

// The four reports for a range, fetched together.
export async function loadSpend(key, rangeName, now) {
  const range = RANGES[rangeName];
  const since = range.since(now);
  const reports = await Promise.all(DIMENSIONS.map((by) => get(key,
    `/admin/v1/spend?${query({ by, over: range.over, since: instantParam(since) })}`)));
  return { range: rangeName, since, now, reports };
}

// A report's rows as a chart and a table: the x axis has every bucket from `since` to now,
// a group without rows in a bucket is 0 there.
function shape(report, since, now, over, measure) {
  const step = over === 'hour' ? HOUR : DAY;
  const x = [];
  for (let t = floor(since, step); t <= now; t += step) x.push(t / 1000);
  const index = new Map(x.map((t, i) => [t, i]));
  const groups = new Map();
  for (const row of report.data) {
    if (!groups.has(row.group)) {
      const sums = Object.fromEntries(SUMMED.map((f) => [f, 0]));
      groups.set(row.group, { group: row.group, sums, values: new Map() });
    }
    const g = groups.get(row.group);
    for (const f of SUMMED) g.sums[f] += row[f];
    const t = Date.parse(row.bucket.length === 10 ? `${row.bucket}T00:00:00Z` : row.bucket) / 1000;
    g.values.set(t, (g.values.get(t) ?? 0) + row[measure]);
  }
  const rows = [...groups.values()].sort((a, b) => b.sums[measure] - a.sums[measure]
    || a.group.localeCompare(b.group));
  const scale = MEASURES[measure].money ? 1e-6 : 1;
  const line = (values) => {
    const out = new Array(x.length).fill(0);
    for (const [t, v] of values) if (index.has(t)) out[index.get(t)] += v * scale;
    return out;
  };
  // The largest groups each get a colour (and a series); the rest share the last one.
  const other = PALETTE[MAX_SERIES];
  rows.forEach((g, i) => { g.color = i < MAX_SERIES ? PALETTE[i] : other; });
  const series = rows.slice(0, MAX_SERIES)
    .map((g) => ({ label: g.group || '(none)', color: g.color, values: line(g.values) }));
  if (rows.length > MAX_SERIES) {
    const rest = new Map();
    for (const g of rows.slice(MAX_SERIES)) for (const [t, v] of g.values) rest.set(t, (rest.get(t) ?? 0) + v);
    series.push({ label: `${rows.length - MAX_SERIES} others`, color: other, values: line(rest) });
  }
  return { x, series, rows };
}

const formatMoney = (v) => usdShort(v);
const formatCount = (v) => count(v);

function SpendCard({ by, report, data, measure }) {
  const { x, series, rows } = shape(report, data.since, data.now, RANGES[data.range].over, measure);
  return html`
    <div class="card" data-spend-by=${by}>
      <h3>By ${by}</h3>
      ${rows.length === 0
        ? html`<p class="empty">No ledger rows in this range.</p>`
        : html`<${StackedBars} x=${x} series=${series}
            format=${MEASURES[measure].money ? formatMoney : formatCount} />`}
      <table class="figures">
        <thead><tr><th>${by}</th><th>requests</th><th>cost</th><th>charge</th><th>tolls</th><th>burn</th></tr></thead>
        <tbody>
          ${rows.map((g) => html`
            <tr data-group=${g.group}>
              <td><span class="swatch" style=${{ background: g.color }}></span>${g.group || html`<span class="muted">(none)</span>`}</td>
              <td class="num" data-field="requests">${count(g.sums.requests)}</td>
              <td class="num" data-field="cost">${usd(g.sums.cost_micros)}</td>
              <td class="num" data-field="charge">${usd(g.sums.charge_micros)}</td>
              <td class="num" data-field="toll">${usd(g.sums.toll_micros)}</td>
              <td class="num" data-field="burn">${usd(g.sums.commitment_burn_micros)}</td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

export function SpendPanel({ data, error, range, measure, onRange, onMeasure }) {
  const total = data?.reports[0]?.total;
  return html`
    <section id="spend">
      <header class="panel-head">
        <h2>Spend</h2>
        <label>Range <select value=${range} onChange=${(e) => onRange(e.target.value)}>
          ${Object.entries(RANGES).map(([k, r]) => html`<option value=${k}>${r.label}</option>`)}
        </select></label>
        <label>Chart <select value=${measure} onChange=${(e) => onMeasure(e.target.value)}>
          ${Object.entries(MEASURES).map(([k, m]) => html`<option value=${k}>${m.label}</option>`)}
        </select></label>
      </header>
      ${error && html`<p class="error">Spend: ${error}</p>`}
      ${total && html`
        <div class="totals" id="spend-total">
          <div><span>requests</span><b data-field="requests">${count(total.requests)}</b></div>
          <div><span>cost</span><b data-field="cost">${usd(total.cost_micros)}</b></div>
          <div><span>charge</span><b data-field="charge">${usd(total.charge_micros)}</b></div>
          <div><span>tolls</span><b data-field="toll">${usd(total.toll_micros)}</b></div>
          <div><span>commitment burn</span><b data-field="burn">${usd(total.commitment_burn_micros)}</b></div>
          <div><span>tokens in / out</span><b>${count(total.input_tokens)} / ${count(total.output_tokens)}</b></div>
          <div><span>estimated / unpriced rows</span><b>${count(total.estimated_rows)} / ${count(total.unpriced_rows)}</b></div>
        </div>`}
      ${data && html`
        <div class="grid">
          ${DIMENSIONS.map((by, i) => html`<${SpendCard} key=${by} by=${by} report=${data.reports[i]}
            data=${data} measure=${measure} />`)}
        </div>`}
    </section>`;
}
