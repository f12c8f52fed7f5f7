-- wrk script: each thread alternates PUT and GET of 64 KiB objects under
-- keys of its own (bench/load.py pre-fills them, so every GET finds one).
-- HAUL_AUTH (an Authorization header value) is sent when set.
local body = string.rep("x", 64 * 1024)
local auth = os.getenv("HAUL_AUTH")
local prefix = os.getenv("HAUL_PREFIX") or "/"
local keys = tonumber(os.getenv("HAUL_KEYS") or "64")
local counter = 0

function request()
  counter = counter + 1
  local key = prefix .. "load/" .. (counter % keys)
  local headers = {}
  if auth then headers["Authorization"] = auth end
  if counter % 2 == 1 then
    headers["Content-Length"] = tostring(#body)
    return wrk.format("PUT", key, headers, body)
  end
  return wrk.format("GET", key, headers)
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"seconds\": %.3f, \"errors\": %d, \"status_errors\": %d, " ..
                         "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
