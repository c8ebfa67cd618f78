// Display formats. Money arrives as integer micro-dollars and is turned into text with integer
// arithmetic only, so the page shows exactly what the ledger holds ($0.000004, $1,234.50).

const MICROS = 1_000_000;

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// 1234500000 -> "$1,234.50"; 4 -> "$0.000004"; -1500000 -> "-$1.50". At least two decimals,
// more only when the amount has them.
export function usd(micros) {
  if (micros === null || micros === undefined) return '—';
  const n = Math.round(Number(micros));
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  const whole = Math.floor(abs / MICROS);
  let frac = String(abs % MICROS).padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}$${groupThousands(String(whole))}.${frac}`;
}

// A dollar figure for a chart's axis or tooltip (display only: a float is fine here).
export function usdShort(dollars) {
  if (dollars === null || dollars === undefined || Number.isNaN(dollars)) return '';
  const abs = Math.abs(dollars);
  if (abs === 0) return '$0';
  if (abs >= 1000) return `$${groupThousands(dollars.toFixed(0))}`;
  if (abs >= 1) return `$${dollars.toFixed(2)}`;
  return `$${Number(dollars.toPrecision(3))}`;
}

export function count(n) {
  if (n === null || n === undefined) return '—';
  return groupThousands(String(Math.round(n)));
}

// 0.4567 -> "45.7 %"
export function percent(fraction) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '—';
  return `${(fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 2 : 1)} %`;
}

// Seconds as a readable duration: "850 µs", "12.3 ms", "1.20 s".
export function seconds(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return '—';
  if (s < 0.001) return `${Math.round(s * 1e6)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}

// An RFC 3339 instant or Unix milliseconds as "2026-12-01 18:22:29 UTC".
export function utc(at) {
  if (at === null || at === undefined) return '—';
  const d = typeof at === 'number' ? new Date(at) : new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// The start of a budget's current period (docs/money.md, "Periods"): UTC calendar days, weeks
// from Monday, months; `total` is the beginning of time. Unix milliseconds.
export function periodStart(per, nowMs) {
  const d = new Date(nowMs);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (per) {
    case 'day': return day;
    case 'week': return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    default: return 0;
  }
}

// Unix milliseconds as the API's `since` parameter: a date at midnight, else an instant.
export function instantParam(ms) {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 19)}Z`;
}
