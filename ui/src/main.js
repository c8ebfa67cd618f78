// The operator's dashboard at /ui/ (docs/operations.md, "The dashboard"): sign in with an admin
// key, then every few seconds read the admin API and /metrics of the gateway that serves the
// page, and show spend, contracts, route health, keys and teams, and the audit log. Nothing is
// loaded from anywhere else.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AccessPanel, loadBudgetSpend } from './access.js';
import { get, saveKey, savedKey } from './api.js';
import { AuditPanel, loadAudit } from './audit.js';
import { ContractsPanel } from './contracts.js';
import { utc } from './format.js';
import { html } from './html.js';
import { parsePrometheus, routeHealth, sumBy } from './metrics.js';
import { RoutesPanel } from './routes.js';
import { SpendPanel, loadSpend } from './spend.js';

// Breakers, contracts, keys and the audit log are cheap to read: every 5 s. Spend sums ledger
// rows over the chart's range and the budgets' periods, so it is read every 30 s (and at once
// on Refresh or a new range). Nothing is read while the tab is hidden.
const REFRESH_MS = 5000;
const SPEND_REFRESH_MS = 30_000;
const ERROR_WINDOW_MS = 60_000;

// Why a key was not accepted, in words.
function refusal(err) {
  if (err.status === 401) return `The gateway refused this key: ${err.message}`;
  if (err.status === 403) return `This key may not use the admin API: ${err.message}`;
  return `Could not sign in: ${err.message}`;
}

function SignIn({ onSignIn, message }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(message);
  async function submit(e) {
    e.preventDefault();
    const k = key.trim();
    if (!k) return;
    setBusy(true);
    setError(null);
    try {
      await get(k, '/admin/v1/contracts');
      onSignIn(k);
    } catch (err) {
      // Only a refusal of the key (or no answer) keeps the operator here; a store that is down
      // shows in the panels.
      if (err.status === 401 || err.status === 403 || err.status === 0) setError(refusal(err));
      else onSignIn(k);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <main class="signin">
      <form onSubmit=${submit} id="signin">
        <h1>tollbooth</h1>
        <p>Sign in with the gateway's admin key (<code>server.admin_key</code>) or a virtual key
          with the <code>admin</code> scope. It is kept in this tab only, until you sign out or
          close it.</p>
        <label>Admin key
          <input type="password" name="key" autocomplete="off" spellcheck="false" value=${key}
            onInput=${(e) => setKey(e.target.value)} autofocus /></label>
        <button type="submit" disabled=${busy || !key.trim()}>${busy ? 'Checking…' : 'Sign in'}</button>
        ${error && html`<p class="error" role="alert" id="signin-error">${error}</p>`}
      </form>
    </main>`;
}

// A promise's outcome as { value } or { error }, never a rejection.
const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));

function errorText(source, err) {
  if (source === 'metrics' && err.status === 404) {
    return 'this gateway does not serve /metrics (metrics.enabled is false)';
  }
  return err.message;
}

function Dashboard({ apiKey, onSignOut }) {
  const [range, setRange] = useState('24h');
  const [measure, setMeasure] = useState('charge_micros');
  const [paused, setPaused] = useState(false);
  const [view, setView] = useState({ errors: {} });
  const audit = useRef({ entries: [], lastId: 0 });
  const history = useRef([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stopped = false;
    let timer = null;
    let spendAt = null;
    const skipped = Promise.resolve({ value: undefined });
    async function refresh() {
      const now = Date.now();
      const withSpend = spendAt === null || now - spendAt >= SPEND_REFRESH_MS;
      if (withSpend) spendAt = now;
      const [spend, contracts, keys, teams, metrics, auditLog] = await Promise.all([
        withSpend ? settle(loadSpend(apiKey, range, now)) : skipped,
        settle(get(apiKey, '/admin/v1/contracts')),
        settle(get(apiKey, '/admin/v1/keys')),
        settle(get(apiKey, '/admin/v1/teams')),
        settle(get(apiKey, '/metrics')),
        settle(loadAudit(apiKey, audit.current)),
      ]);
      if (stopped) return;
      const all = { spend, contracts, keys, teams, metrics, audit: auditLog };
      const refused = Object.values(all).find((r) => r.error && (r.error.status === 401 || r.error.status === 403));
      if (refused) {
        onSignOut(`Signed out: ${refusal(refused.error)}`);
        return;
      }
      let budgets = { value: undefined };
      if (withSpend && keys.value && teams.value) {
        budgets = await settle(loadBudgetSpend(apiKey, keys.value.data, teams.value.data, now));
        if (stopped) return;
      }
      let health = null;
      let teamRemaining = null;
      if (metrics.value !== undefined) {
        const samples = parsePrometheus(metrics.value);
        const h = history.current.filter((s) => s.at >= now - ERROR_WINDOW_MS);
        health = routeHealth(samples, h.length ? h[0].totals : null);
        h.push({ at: now, totals: health.totals });
        history.current = h;
        teamRemaining = sumBy(samples, 'tollbooth_team_budget_remaining_micros', ['team']);
      }
      if (auditLog.value) audit.current = auditLog.value;
      setView((old) => {
        const errors = {};
        for (const [name, r] of Object.entries({ ...all, budgets })) {
          if (r.error) errors[name] = errorText(name, r.error);
        }
        return {
          at: now,
          errors,
          // A source that failed this time keeps what it showed before, with its error above.
          spend: spend.value ?? (old.spend?.range === range ? old.spend : null),
          contracts: contracts.value ?? old.contracts,
          keys: keys.value?.data ?? old.keys,
          teams: teams.value?.data ?? old.teams,
          budgets: budgets.value ?? old.budgets,
          health: health ?? old.health,
          teamRemaining: teamRemaining ?? old.teamRemaining,
          audit: auditLog.value ?? old.audit,
        };
      });
    }
    async function loop() {
      if (!pausedRef.current && document.visibilityState !== 'hidden') await refresh();
      if (!stopped) timer = setTimeout(loop, REFRESH_MS);
    }
    loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [apiKey, range, tick]);

  const e = view.errors;
  return html`
    <header class="top">
      <h1>tollbooth</h1>
      <nav>
        <a href="#spend">Spend</a><a href="#contracts">Contracts</a><a href="#routes">Routes</a>
        <a href="#access">Teams and keys</a><a href="#audit">Audit log</a>
      </nav>
      <span class="muted" id="updated">${view.at ? `updated ${utc(view.at)}` : 'loading…'}${paused ? ' (paused)' : ''}</span>
      <button type="button" onClick=${() => setPaused(!paused)}>${paused ? 'Resume' : 'Pause'}</button>
      <button type="button" id="refresh" onClick=${() => setTick(tick + 1)}>Refresh</button>
      <button type="button" id="signout" onClick=${() => onSignOut(null)}>Sign out</button>
    </header>
    <main class="panels">
      <${SpendPanel} data=${view.spend?.range === range ? view.spend : null} error=${e.spend}
        range=${range} measure=${measure} onRange=${setRange} onMeasure=${setMeasure} />
      <${ContractsPanel} contracts=${view.contracts} error=${e.contracts} />
      <${RoutesPanel} health=${view.health} error=${e.metrics} />
      <${AccessPanel} keys=${view.keys} teams=${view.teams} spend=${view.budgets}
        teamRemaining=${view.teamRemaining} error=${e.keys || e.teams || e.budgets} />
      <${AuditPanel} audit=${view.audit} error=${e.audit} />
    </main>`;
}

function App() {
  const [key, setKey] = useState(savedKey());
  const [message, setMessage] = useState(null);
  if (!key) {
    return html`<${SignIn} message=${message} onSignIn=${(k) => { saveKey(k); setMessage(null); setKey(k); }} />`;
  }
  return html`<${Dashboard} apiKey=${key} onSignOut=${(why) => { saveKey(''); setMessage(why); setKey(''); }} />`;
}

render(html`<${App} />`, document.getElementById('app'));
