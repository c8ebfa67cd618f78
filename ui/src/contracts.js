// Contracts: GET /admin/v1/contracts (docs/money.md): tolls against the revenue share's cap,
// commitment burned against its pro-rata target for today, days left to the licence's end.
import { count, usd } from './format.js';
import { html } from './html.js';

// A bar of `value` out of `whole`, with an optional marker (the commitment's target today).
function Bar({ value, whole, marker, warn }) {
  const pct = (v) => `${Math.max(0, Math.min(100, whole > 0 ? (v / whole) * 100 : 0)).toFixed(2)}%`;
  return html`
    <div class=${`bar${warn ? ' warn' : ''}`}>
      <div class="fill" style=${{ width: pct(value) }}></div>
      ${marker !== undefined && html`<div class="marker" style=${{ left: pct(marker) }}></div>`}
    </div>`;
}

function days(n) {
  if (n === null || n === undefined) return '';
  if (n < 0) return `ended ${count(-n)} days ago`;
  if (n === 0) return 'ends today';
  return `${count(n)} days left`;
}

function Tolls({ c }) {
  const rs = c.revenue_share;
  if (!rs) {
    return html`<div class="term"><h4>Tolls</h4>
      <p class="muted">no revenue share${c.tolls_paid_micros > 0 ? html`; ${usd(c.tolls_paid_micros)} paid before` : ''}</p></div>`;
  }
  return html`
    <div class="term" data-term="tolls">
      <h4>Tolls <span class="muted">${rs.percent} % of ${rs.of}</span></h4>
      ${rs.cap_micros !== null
        ? html`<${Bar} value=${c.tolls_paid_micros} whole=${rs.cap_micros} warn=${rs.left_micros === 0} />
          <p><b data-field="tolls_paid">${usd(c.tolls_paid_micros)}</b> paid of a${' '}
            <span data-field="cap">${usd(rs.cap_micros)}</span> cap; ${usd(rs.left_micros)} left</p>`
        : html`<p><b data-field="tolls_paid">${usd(c.tolls_paid_micros)}</b> paid; no cap</p>`}
      ${rs.until && html`<p class="muted">share until ${rs.until} (${days(rs.days_left)})</p>`}
    </div>`;
}

function Commitment({ c }) {
  const cm = c.commitment;
  if (!cm) return html`<div class="term"><h4>Commitment</h4><p class="muted">none</p></div>`;
  const behind = cm.ahead_micros < 0;
  return html`
    <div class="term" data-term="commitment">
      <h4>Commitment <span class="muted">${usd(cm.usd_micros)} over ${cm.from} … ${cm.to}</span></h4>
      <${Bar} value=${cm.burned_micros} whole=${cm.usd_micros} marker=${cm.target_micros} warn=${behind} />
      <p><b data-field="burned">${usd(cm.burned_micros)}</b> burned; target today${' '}
        <span data-field="target">${usd(cm.target_micros)}</span>${' '}
        (day ${count(cm.days_elapsed)} of ${count(cm.days_in_period)}):${' '}
        <span class=${behind ? 'bad' : 'good'} data-field="ahead">${behind
          ? `${usd(-cm.ahead_micros)} behind` : `${usd(cm.ahead_micros)} ahead`}</span></p>
    </div>`;
}

function Licence({ c }) {
  if (!c.license_until) return html`<div class="term"><h4>Licence</h4><p class="muted">no end</p></div>`;
  const n = c.license_days_left;
  return html`
    <div class="term" data-term="licence">
      <h4>Licence</h4>
      <p>until <b>${c.license_until}</b></p>
      <p class=${n < 0 ? 'bad' : n <= 30 ? 'warn-text' : ''} data-field="license_days_left">${days(n)}</p>
    </div>`;
}

export function ContractsPanel({ contracts, error }) {
  return html`
    <section id="contracts">
      <header class="panel-head"><h2>Contracts</h2>
        ${contracts && html`<span class="muted">as on ${contracts.today} (UTC)</span>`}</header>
      ${error && html`<p class="error">Contracts: ${error}</p>`}
      ${contracts && contracts.data.length === 0 && html`<p class="empty">No contracts configured.</p>`}
      ${contracts && contracts.data.map((c) => html`
        <div class="card contract" key=${c.name} data-contract=${c.name}>
          <h3>${c.name}${' '}
            <span class="muted">${c.providers.join(', ')}${c.configured ? '' : ' (no longer configured)'}</span></h3>
          <div class="terms">
            <${Tolls} c=${c} />
            <${Commitment} c=${c} />
            <${Licence} c=${c} />
          </div>
        </div>`)}
    </section>`;
}
