-- wrk script for bench/run: POSTs one small non-streaming chat completion on every request.
-- The request is static (no request() function), so wrk builds it once and stays cheap.
-- done() prints one machine-readable line with exact numbers (latencies in microseconds);
-- bench/run reads it instead of wrk's rounded human-readable text.
wrk.method = "POST"
-- BENCH_MODEL picks the route: gpt-4o-mini (OpenAI passthrough) or bench-bedrock (translated).
local model = os.getenv("BENCH_MODEL") or "gpt-4o-mini"
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"hello there"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
