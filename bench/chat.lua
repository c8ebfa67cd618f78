-- wrk script for bench/run: POSTs one small chat completion on every request, streamed or not.
-- The request is static (no request() function), so wrk builds it once and stays cheap; no
-- response() function either, so wrk does not hand every answer to Lua. wrk reads each answer
-- whole, a chunked stream up to its last chunk, before it counts the request and its latency.
-- done() prints one machine-readable line with exact numbers (latencies in microseconds);
-- bench/run reads it instead of wrk's rounded human-readable text.
wrk.method = "POST"
-- BENCH_MODEL picks the route: gpt-4o-mini (OpenAI passthrough) or bench-bedrock (translated).
local model = os.getenv("BENCH_MODEL") or "gpt-4o-mini"
-- BENCH_STREAM=1 asks for a stream: SSE from the mock and the gateway ("stream": true).
local stream = os.getenv("BENCH_STREAM") == "1"
-- BENCH_API=responses sends the same question to POST /v1/responses (the URL is bench/run's).
if os.getenv("BENCH_API") == "responses" then
  wrk.body = '{"model":"' .. model .. '","input":"hello there"' ..
    (stream and ',"stream":true' or '') .. '}'
else
  wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"hello there"}]' ..
    (stream and ',"stream":true' or '') .. '}'
end
wrk.headers["Content-Type"] = "application/json"
-- BENCH_KEY is the bearer: bench/run sets the secret of the gateway's declared key for its keys
-- and redis targets (auth: keys); the mock, nginx and an auth: none gateway take anything.
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")

-- err_status counts answers with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
