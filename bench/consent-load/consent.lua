-- wrk script: POST /v1/consent with a valid choice for site "www"; each wrk thread sends one of
-- a few different choices. The request is built once per thread (no per-request `request()`
-- callback, which would cost wrk more CPU than the server spends on the request).
-- Usage: wrk -s consent.lua URL -- REVISION
-- Prints one RESULT line that run.sh parses.

local bodies = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end

function init(args)
  local revision = args[1] or "missing-revision"
  local languages = { "nb", "nn", "en" }
  local choices = {
    { "accept_all", "true", "true", "true" },
    { "reject_all", "false", "false", "false" },
    { "custom", "true", "false", "true" },
    { "custom", "false", "true", "false" },
  }
  for i = 1, 12 do
    local c = choices[(i - 1) % #choices + 1]
    bodies[i] = string.format(
      '{"site":"www","revision":"%s","language":"%s","action":"%s",' ..
      '"categories":{"necessary":true,"analytics":%s,"marketing":%s,"functional":%s},' ..
      '"services":{"google-analytics":%s}}',
      revision, languages[(i - 1) % #languages + 1], c[1], c[2], c[3], c[4], c[2])
  end
  wrk.method = "POST"
  wrk.body = bodies[((index or 1) - 1) % #bodies + 1]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
