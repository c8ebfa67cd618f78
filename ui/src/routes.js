// Route health, from GET /metrics: each route's circuit breaker (tollbooth_route_up), its
// upstream attempts and failures (tollbooth_attempts_total) and time to first byte
// (tollbooth_upstream_ttfb_seconds); per model, requests and their time in the gateway
// (gen_ai_server_request_duration_seconds), the gateway's own overhead
// (tollbooth_gateway_overhead_seconds, when this gateway reports it) and its refusals.
import { count, percent, seconds } from './format.js';
import { html } from './html.js';
import { mean, quantileBound } from './metrics.js';

// "12.3 ms mean, p95 ≤ 20 ms" from a histogram: the buckets give a bound, not the value.
function Latency({ h }) {
  const m = mean(h);
  if (m === null) return html`<span class="muted">—</span>`;
  const p95 = quantileBound(h, 0.95);
  return html`<span>${seconds(m)}</span>
    <span class="muted"> · p95 ${p95.over ? '>' : '≤'} ${seconds(p95.le)}</span>`;
}

export function RoutesPanel({ health, error }) {
  const open = health ? health.routes.filter((r) => r.open) : [];
  return html`
    <section id="routes">
      <header class="panel-head"><h2>Route health</h2>
        ${health && html`<span class=${open.length ? 'bad' : 'good'} id="routes-summary">${open.length
          ? `${open.length} of ${health.routes.length} breakers open`
          : `all ${health.routes.length} breakers closed`}</span>`}</header>
      ${error && html`<p class="error">Metrics: ${error}</p>`}
      ${health && html`
        <table class="figures" id="route-table">
          <thead><tr><th>model</th><th>route</th><th>breaker</th><th>served</th><th>failed</th>
            <th>errors, last minute</th><th>errors since start</th><th>time to first byte</th></tr></thead>
          <tbody>
            ${health.routes.map((r) => html`
              <tr key=${`${r.model}/${r.route}`} data-route=${`${r.model}/${r.route}`}
                  data-breaker=${r.open ? 'open' : 'closed'} class=${r.open ? 'row-bad' : ''}>
                <td>${r.model}</td><td>${r.route}</td>
                <td><span class=${`badge ${r.open ? 'badge-bad' : 'badge-good'}`} data-field="breaker">${r.open ? 'open' : 'closed'}</span></td>
                <td class="num">${count(r.served)}</td>
                <td class="num">${count(r.failed)}</td>
                <td class="num">${percent(r.recentErrorRate)}</td>
                <td class="num">${percent(r.errorRate)}</td>
                <td><${Latency} h=${r.ttfb} /></td>
              </tr>`)}
          </tbody>
        </table>
        <h3>Per model</h3>
        <table class="figures" id="model-table">
          <thead><tr><th>model</th><th>requests</th><th>not 2xx</th><th>time in the gateway</th>
            <th>gateway overhead</th><th>refused by the gateway</th></tr></thead>
          <tbody>
            ${health.models.map((m) => html`
              <tr key=${m.model} data-model=${m.model}>
                <td>${m.model}</td>
                <td class="num">${count(m.requests)}</td>
                <td class="num">${count(m.errors)}</td>
                <td><${Latency} h=${m.duration} /></td>
                <td>${health.hasOverhead ? html`<${Latency} h=${m.overhead} />`
                  : html`<span class="muted">not reported</span>`}</td>
                <td>${Object.keys(m.refusals).length === 0 ? html`<span class="muted">none</span>`
                  : Object.entries(m.refusals).map(([reason, n]) => `${reason} ${count(n)}`).join(', ')}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`;
}
