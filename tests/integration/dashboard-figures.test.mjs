// What the dashboard (ui/src) makes of the gateway's figures, without a browser: money shown
// exactly as the ledger holds it, budgets' periods as docs/money.md defines them, and /metrics
// read into route health (breakers, error rates, latency bounds), with families that may be
// missing. tests/e2e/dashboard.test.mjs drives the whole page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantParam, periodStart, usd } from '../../ui/src/format.js';
import {
  errorRateBetween, histogramsBy, parsePrometheus, quantileBound, routeHealth,
} from '../../ui/src/metrics.js';

test('money is shown to the micro-dollar, never rounded by a float', () => {
  assert.equal(usd(4), '$0.000004');
  assert.equal(usd(0), '$0.00');
  assert.equal(usd(1_500_000), '$1.50');
  assert.equal(usd(1_234_567_891), '$1,234.567891');
  assert.equal(usd(-2_500), '-$0.0025');
  // 2^53 - 1 micro-dollars: every digit kept.
  assert.equal(usd(9_007_199_254_740_991), '$9,007,199,254.740991');
  assert.equal(usd(null), '—');
});

test('a budget\'s period starts on the UTC calendar: day, Monday, the 1st, or never', () => {
  const wednesday = Date.parse('2026-12-02T15:04:05Z');
  assert.equal(periodStart('day', wednesday), Date.parse('2026-12-02T00:00:00Z'));
  assert.equal(periodStart('week', wednesday), Date.parse('2026-11-30T00:00:00Z'));
  assert.equal(periodStart('week', Date.parse('2026-12-06T23:59:59Z')), Date.parse('2026-11-30T00:00:00Z'));
  assert.equal(periodStart('week', Date.parse('2026-11-30T00:00:00Z')), Date.parse('2026-11-30T00:00:00Z'));
  assert.equal(periodStart('month', wednesday), Date.parse('2026-12-01T00:00:00Z'));
  assert.equal(periodStart('total', wednesday), 0);
  assert.equal(instantParam(Date.parse('2026-12-01T00:00:00Z')), '2026-12-01');
  assert.equal(instantParam(Date.parse('2026-12-01T13:00:00Z')), '2026-12-01T13:00:00Z');
});

// The shape GET /metrics has (src/gateway/metrics.cpp), cut down.
const SCRAPE = `# HELP tollbooth_requests_total Requests answered.
# TYPE tollbooth_requests_total counter
tollbooth_requests_total{model="gpt-o",route="openai/gpt-4o",status="200"} 9
tollbooth_requests_total{model="gpt-o",route="none",status="503"} 1
tollbooth_requests_total{model="none",route="none",status="401"} 4
tollbooth_refusals_total{model="gpt-o",reason="budget"} 2
tollbooth_attempts_total{model="gpt-o",route="openai/gpt-4o",outcome="served"} 9
tollbooth_attempts_total{model="house",route="house",outcome="served"} 1
tollbooth_attempts_total{model="house",route="house",outcome="failed"} 2
tollbooth_attempts_total{model="house",route="house",outcome="failed_final"} 1
tollbooth_attempts_total{model="house",route="house",outcome="aborted"} 5
tollbooth_upstream_ttfb_seconds_bucket{model="gpt-o",route="openai/gpt-4o",le="0.01"} 6
tollbooth_upstream_ttfb_seconds_bucket{model="gpt-o",route="openai/gpt-4o",le="0.02"} 9
tollbooth_upstream_ttfb_seconds_bucket{model="gpt-o",route="openai/gpt-4o",le="+Inf"} 9
tollbooth_upstream_ttfb_seconds_sum{model="gpt-o",route="openai/gpt-4o"} 0.090000
tollbooth_upstream_ttfb_seconds_count{model="gpt-o",route="openai/gpt-4o"} 9
tollbooth_route_up{model="gpt-o",route="openai/gpt-4o"} 1
tollbooth_route_up{model="house",route="house"} 0
tollbooth_route_up{model="odd \\"one\\"",route="a\\\\b"} 1
gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="openai",le="0.01"} 1
gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="openai",le="+Inf"} 2
gen_ai_server_request_duration_seconds_sum{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="openai"} 30.5
gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="openai"} 2
gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="none",error_type="503",le="0.01"} 1
gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="none",error_type="503",le="+Inf"} 1
gen_ai_server_request_duration_seconds_sum{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="none",error_type="503"} 0.001
gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_request_model="gpt-o",gen_ai_provider_name="none",error_type="503"} 1
this line is not a sample
`;

test('/metrics is read into a row per route: breaker, failures and time to first byte', () => {
  const health = routeHealth(parsePrometheus(SCRAPE), null);
  const byRoute = Object.fromEntries(health.routes.map((r) => [`${r.model}/${r.route}`, r]));
  assert.deepEqual(Object.keys(byRoute).sort(), ['gpt-o/openai/gpt-4o', 'house/house', 'odd "one"/a\\b']);
  assert.equal(byRoute['house/house'].open, true);
  assert.equal(byRoute['gpt-o/openai/gpt-4o'].open, false);
  // Failed and failed_final count as failures; a client that left (aborted) does not.
  assert.equal(byRoute['house/house'].failed, 3);
  assert.equal(byRoute['house/house'].errorRate, 0.75);
  assert.equal(byRoute['house/house'].recentErrorRate, null, 'no earlier scrape to compare with');
  const ttfb = byRoute['gpt-o/openai/gpt-4o'].ttfb;
  assert.equal(ttfb.count, 9);
  assert.deepEqual(quantileBound(ttfb, 0.5), { le: 0.01, over: false });
  assert.deepEqual(quantileBound(ttfb, 0.95), { le: 0.02, over: false });
});

test('per model: requests, non-2xx, durations merged across providers, refusals; overhead when present', () => {
  const health = routeHealth(parsePrometheus(SCRAPE), null);
  const gpt = health.models.find((m) => m.model === 'gpt-o');
  assert.equal(gpt.requests, 10);
  assert.equal(gpt.errors, 1);
  assert.deepEqual(gpt.refusals, { budget: 2 });
  assert.equal(gpt.duration.count, 3);
  // One of three took more than the last bound: the p95 is only known to be past it.
  assert.deepEqual(quantileBound(gpt.duration, 0.95), { le: 0.01, over: true });
  assert.equal(health.models.some((m) => m.model === 'none'), false, 'the gateway\'s own endpoints are not a model');
  assert.equal(health.hasOverhead, false);

  const withOverhead = `${SCRAPE}
tollbooth_gateway_overhead_seconds_bucket{model="gpt-o",le="0.01"} 10
tollbooth_gateway_overhead_seconds_bucket{model="gpt-o",le="+Inf"} 10
tollbooth_gateway_overhead_seconds_sum{model="gpt-o"} 0.004
tollbooth_gateway_overhead_seconds_count{model="gpt-o"} 10
`;
  const again = routeHealth(parsePrometheus(withOverhead), null);
  assert.equal(again.hasOverhead, true);
  const overhead = again.models.find((m) => m.model === 'gpt-o').overhead;
  assert.equal(overhead.sum / overhead.count, 0.0004);
});

test('the recent error rate is between two scrapes, and a restarted gateway starts it again', () => {
  const older = { served: 10, failed: 0 };
  assert.equal(errorRateBetween(older, { served: 13, failed: 1 }), 0.25);
  assert.equal(errorRateBetween(older, { served: 10, failed: 0 }), null, 'nothing happened in between');
  // Counters went down: the gateway restarted; count from zero.
  assert.equal(errorRateBetween(older, { served: 1, failed: 1 }), 0.5);
});

test('histograms merge by the labels asked for, bucket by bucket', () => {
  const h = histogramsBy(parsePrometheus(SCRAPE), 'gen_ai_server_request_duration_seconds', ['gen_ai_request_model']);
  const gpt = h.get('gpt-o');
  assert.deepEqual(gpt.buckets, [[0.01, 2], [Infinity, 3]]);
  assert.equal(gpt.sum, 30.501);
});
