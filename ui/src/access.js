// Keys and teams (GET /admin/v1/keys, /admin/v1/teams, docs/keys.md) with their budgets and
// limits, and what each budget has left in its current period: the budget less the charge the
// ledger holds since the period began (GET /admin/v1/spend?by=key|team&since=<period start>,
// one call per kind of period in use).
import { get, query } from './api.js';
import { count, instantParam, periodStart, usd, utc } from './format.js';
import { html } from './html.js';

// Charge since each budget's period start, for the keys and teams that have a budget:
// { key: Map id -> micros, team: Map name -> micros }.
export async function loadBudgetSpend(key, keys, teams, now) {
  const wanted = [];
  for (const [by, list] of [['key', keys], ['team', teams]]) {
    const pers = new Set(list.filter((x) => x.budget).map((x) => x.budget.per));
    for (const per of pers) wanted.push({ by, per });
  }
  const replies = await Promise.all(wanted.map(({ by, per }) => get(key,
    `/admin/v1/spend?${query({ by, since: instantParam(periodStart(per, now)) })}`)));
  const out = { key: new Map(), team: new Map() };
  wanted.forEach(({ by, per }, i) => {
    for (const row of replies[i].data) out[by].set(`${per}\u0000${row.group}`, row.charge_micros);
  });
  return out;
}

function limits(x) {
  const parts = [];
  if (x.rpm) parts.push(`${count(x.rpm)} rpm`);
  if (x.tpm) parts.push(`${count(x.tpm)} tpm`);
  if (x.max_parallel) parts.push(`${count(x.max_parallel)} parallel`);
  return parts.length ? parts.join(' · ') : html`<span class="muted">unlimited</span>`;
}

function Budget({ budget, spent, live }) {
  if (!budget) return html`<td><span class="muted">none</span></td><td></td><td></td>`;
  const left = budget.limit_micros - spent;
  const soft = budget.soft_percent ? budget.limit_micros * (budget.soft_percent / 100) : null;
  const state = left <= 0 ? 'bad' : soft !== null && spent >= soft ? 'warn-text' : '';
  return html`
    <td>${usd(budget.limit_micros)} / ${budget.per}${budget.soft_percent
      ? html`<span class="muted"> (soft ${budget.soft_percent} %)</span>` : ''}</td>
    <td class="num" data-field="spent">${usd(spent)}</td>
    <td class=${`num ${state}`} data-field="left">${usd(Math.max(left, 0))}${live !== undefined && live !== Math.max(left, 0)
      ? html`<div class="muted small" title="the gateway's own book: spent and reserved by requests in flight">gateway: ${usd(live)}</div>` : ''}</td>`;
}

function list(values, none) {
  return values && values.length ? values.join(', ') : html`<span class="muted">${none}</span>`;
}

export function AccessPanel({ keys, teams, spend, teamRemaining, error }) {
  const spent = (by, x) => (x.budget ? spend?.[by].get(`${x.budget.per}\u0000${x.id}`) ?? 0 : 0);
  return html`
    <section id="access">
      <header class="panel-head"><h2>Teams and keys</h2></header>
      ${error && html`<p class="error">Keys and teams: ${error}</p>`}
      ${teams && html`
        <h3>Teams</h3>
        <table class="figures" id="team-table">
          <thead><tr><th>team</th><th>budget</th><th>spent this period</th><th>left</th>
            <th>limits</th><th>markup</th><th>models</th><th>source</th></tr></thead>
          <tbody>
            ${teams.length === 0 && html`<tr><td colspan="8" class="empty">No teams.</td></tr>`}
            ${teams.map((t) => html`
              <tr key=${t.id} data-team=${t.id}>
                <td>${t.id}</td>
                <${Budget} budget=${t.budget} spent=${spent('team', t)} live=${teamRemaining?.get(t.id)} />
                <td>${limits(t)}</td>
                <td class="num">${t.markup_percent ? `${t.markup_percent} %` : '0 %'}</td>
                <td>${list(t.models, 'all')}</td>
                <td>${t.source}</td>
              </tr>`)}
          </tbody>
        </table>`}
      ${keys && html`
        <h3>Keys <span class="muted">(not revoked)</span></h3>
        <table class="figures" id="key-table">
          <thead><tr><th>key</th><th>alias</th><th>team</th><th>budget</th><th>spent this period</th>
            <th>left</th><th>limits</th><th>scopes</th><th>expires</th><th>source</th></tr></thead>
          <tbody>
            ${keys.length === 0 && html`<tr><td colspan="10" class="empty">No keys.</td></tr>`}
            ${keys.map((k) => html`
              <tr key=${k.id} data-key=${k.id}>
                <td><code>${k.id}</code>${k.secrets?.[0] ? html`<span class="muted"> …${k.secrets[0].last4}</span>` : ''}</td>
                <td>${k.alias ?? ''}</td>
                <td>${k.team ?? html`<span class="muted">none</span>`}</td>
                <${Budget} budget=${k.budget} spent=${spent('key', k)} />
                <td>${limits(k)}</td>
                <td>${k.scopes.join(', ')}</td>
                <td>${k.expires_at ? utc(k.expires_at) : html`<span class="muted">never</span>`}</td>
                <td>${k.source}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`;
}
