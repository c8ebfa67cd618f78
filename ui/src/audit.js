// The audit log (GET /admin/v1/audit, docs/keys.md): every change to keys and teams, newest
// first. The endpoint pages oldest first from `after`; the page reads to the end once, keeps
// the last KEEP entries, and then asks only for entries after the last one it has.
import { get, query } from './api.js';
import { utc } from './format.js';
import { html } from './html.js';

const KEEP = 200;
const PAGE = 1000;

// Appends the entries after `state.lastId` to `state.entries` (kept to the last KEEP).
export async function loadAudit(key, state) {
  let entries = state.entries;
  let lastId = state.lastId;
  for (;;) {
    const reply = await get(key, `/admin/v1/audit?${query({ after: lastId, limit: PAGE })}`);
    entries = entries.concat(reply.data).slice(-KEEP);
    lastId = reply.last_id;
    if (reply.data.length < PAGE) break;
  }
  return { entries, lastId };
}

// The top-level fields a change touched ("rpm, budget"), from its before and after views.
function changed(entry) {
  if (!entry.before || !entry.after) return '';
  const skip = new Set(['updated_at', 'object']);
  const fields = new Set([...Object.keys(entry.before), ...Object.keys(entry.after)]);
  return [...fields].filter((f) => !skip.has(f)
    && JSON.stringify(entry.before[f]) !== JSON.stringify(entry.after[f])).join(', ');
}

export function AuditPanel({ audit, error }) {
  const rows = audit ? [...audit.entries].reverse() : [];
  return html`
    <section id="audit">
      <header class="panel-head"><h2>Audit log</h2>
        <span class="muted">the last ${KEEP} changes at most, newest first</span></header>
      ${error && html`<p class="error">Audit log: ${error}</p>`}
      ${audit && html`
        <table class="figures" id="audit-table">
          <thead><tr><th>#</th><th>when</th><th>who</th><th>what</th><th>target</th><th>changed</th></tr></thead>
          <tbody>
            ${rows.length === 0 && html`<tr><td colspan="6" class="empty">No changes yet.</td></tr>`}
            ${rows.map((e) => html`
              <tr key=${e.id} data-audit=${e.id}>
                <td class="num">${e.id}</td><td>${utc(e.at)}</td><td>${e.actor}</td>
                <td>${e.action}</td><td><code>${e.target}</code></td><td>${changed(e)}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`;
}
