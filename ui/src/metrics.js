// Reading the gateway's GET /metrics (Prometheus's text format, docs/operations.md "Metrics") in
// the browser, and what the route-health panel makes of it. Pure functions: text in, values out.

// One sample a line: `name{label="value",...} 12.5`. Comments and blank lines are skipped; a
// line that does not parse is skipped too, so a new kind of line never breaks the page.
export function parsePrometheus(text) {
  const samples = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

function parseLine(line) {
  const nameEnd = line.search(/[{\s]/);
  if (nameEnd <= 0) return null;
  const name = line.slice(0, nameEnd);
  const labels = {};
  let i = nameEnd;
  if (line[i] === '{') {
    i += 1;
    while (i < line.length && line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0 || line[eq + 1] !== '"') return null;
      const key = line.slice(i, eq).trim();
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j += 1) {
        if (line[j] === '\\' && j + 1 < line.length) {
          j += 1;
          value += line[j] === 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
      }
      if (j >= line.length) return null;
      labels[key] = value;
      i = j + 1;
      if (line[i] === ',') i += 1;
    }
    if (line[i] !== '}') return null;
    i += 1;
  }
  const fields = line.slice(i).trim().split(/\s+/);
  const value = parseValue(fields[0]);
  if (value === null) return null;
  return { name, labels, value };
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  return text === '' || Number.isNaN(v) ? null : v;
}

export function hasFamily(samples, family) {
  return samples.some((s) => s.name === family || s.name.startsWith(`${family}_`));
}

// A counter's or gauge's samples summed by the labels `by` names: Map "v1\u0000v2" -> value.
export function sumBy(samples, name, by) {
  const out = new Map();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = by.map((l) => s.labels[l] ?? '').join('\u0000');
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

// A histogram family's series merged by the labels `by` names (buckets with the same bound
// add up): Map key -> { buckets: [[le, cumulative count]...] by le, sum, count }.
export function histogramsBy(samples, family, by) {
  const out = new Map();
  const get = (labels) => {
    const key = by.map((l) => labels[l] ?? '').join('\u0000');
    if (!out.has(key)) out.set(key, { bounds: new Map(), sum: 0, count: 0 });
    return out.get(key);
  };
  for (const s of samples) {
    if (s.name === `${family}_bucket`) {
      const h = get(s.labels);
      const le = parseValue(s.labels.le ?? '');
      if (le === null) continue;
      h.bounds.set(le, (h.bounds.get(le) ?? 0) + s.value);
    } else if (s.name === `${family}_sum`) {
      get(s.labels).sum += s.value;
    } else if (s.name === `${family}_count`) {
      get(s.labels).count += s.value;
    }
  }
  for (const h of out.values()) {
    h.buckets = [...h.bounds.entries()].sort((a, b) => a[0] - b[0]);
    delete h.bounds;
  }
  return out;
}

export function mean(h) {
  return h && h.count > 0 ? h.sum / h.count : null;
}

// The bucket bound under which at least `q` of the observations fall: an upper bound for the
// quantile (the buckets say no more). { le, over } — `over` when it is past the last bound.
export function quantileBound(h, q) {
  if (!h || h.count <= 0) return null;
  const want = q * h.count;
  let lastFinite = null;
  for (const [le, cumulative] of h.buckets) {
    if (Number.isFinite(le)) lastFinite = le;
    if (cumulative >= want) {
      return Number.isFinite(le) ? { le, over: false } : { le: lastFinite, over: true };
    }
  }
  return { le: lastFinite, over: true };
}

// Attempts that did not serve because the upstream failed (tollbooth_attempts_total's
// outcomes): a refusal (the route cannot carry the request) and a client that left are not.
const FAILED = new Set(['failed', 'failed_final', 'failed_in_band']);

// Per route ("model\u0000route"): attempts served and failed since the gateway started.
export function attemptTotals(samples) {
  const out = new Map();
  for (const s of samples) {
    if (s.name !== 'tollbooth_attempts_total') continue;
    const key = `${s.labels.model ?? ''}\u0000${s.labels.route ?? ''}`;
    const t = out.get(key) ?? { served: 0, failed: 0, other: 0 };
    if (s.labels.outcome === 'served') t.served += s.value;
    else if (FAILED.has(s.labels.outcome)) t.failed += s.value;
    else t.other += s.value;
    out.set(key, t);
  }
  return out;
}

// The share of attempts that failed between two attemptTotals (older, newer) for one route:
// null when there were none in between.
export function errorRateBetween(older, newer) {
  const n = newer ?? { served: 0, failed: 0 };
  let o = older ?? { served: 0, failed: 0 };
  if (o.failed > n.failed || o.served > n.served) o = { served: 0, failed: 0 };  // restarted
  const failed = n.failed - o.failed;
  const all = failed + (n.served - o.served);
  return all > 0 ? failed / all : null;
}

// What the route-health panel shows, from one scrape (and the one `windowMs` earlier, for the
// recent error rate): a row per configured route, and the per-model figures.
export function routeHealth(samples, older) {
  const up = samples.filter((s) => s.name === 'tollbooth_route_up');
  const totals = attemptTotals(samples);
  const ttfb = histogramsBy(samples, 'tollbooth_upstream_ttfb_seconds', ['model', 'route']);
  const routes = up.map((s) => {
    const key = `${s.labels.model ?? ''}\u0000${s.labels.route ?? ''}`;
    const t = totals.get(key) ?? { served: 0, failed: 0, other: 0 };
    return {
      model: s.labels.model ?? '',
      route: s.labels.route ?? '',
      open: s.value === 0,
      served: t.served,
      failed: t.failed,
      errorRate: errorRateBetween(null, t),
      recentErrorRate: older ? errorRateBetween(older.get(key), t) : null,
      ttfb: ttfb.get(key) ?? null,
    };
  });
  routes.sort((a, b) => (a.model === b.model ? a.route.localeCompare(b.route)
    : a.model.localeCompare(b.model)));

  const requests = sumBy(samples, 'tollbooth_requests_total', ['model', 'status']);
  const duration = histogramsBy(samples, 'gen_ai_server_request_duration_seconds',
    ['gen_ai_request_model']);
  const overheadFamily = 'tollbooth_gateway_overhead_seconds';
  const hasOverhead = hasFamily(samples, overheadFamily);
  const overhead = histogramsBy(samples, overheadFamily, ['model']);
  const refusals = sumBy(samples, 'tollbooth_refusals_total', ['model', 'reason']);
  const models = new Map();
  const model = (name) => {
    if (!models.has(name)) {
      models.set(name, { model: name, requests: 0, errors: 0, duration: null, overhead: null, refusals: {} });
    }
    return models.get(name);
  };
  for (const r of routes) model(r.model);
  for (const [key, n] of requests) {
    const [name, status] = key.split('\u0000');
    if (name === 'none') continue;  // the gateway's own endpoints (no model)
    const m = model(name);
    m.requests += n;
    if (!/^[23]/.test(status)) m.errors += n;
  }
  for (const [name, h] of duration) model(name).duration = h;
  for (const [name, h] of overhead) model(name).overhead = h;
  for (const [key, n] of refusals) {
    const [name, reason] = key.split('\u0000');
    model(name).refusals[reason] = n;
  }
  const modelRows = [...models.values()].sort((a, b) => a.model.localeCompare(b.model));
  return { routes, models: modelRows, hasOverhead, totals };
}
