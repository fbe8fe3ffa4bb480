-- wrk script: request the URL with the given Cookie header (empty for none) and method (GET by
-- default; POST with no body is how navigator.sendBeacon sends the banner's view report), and
-- print one RESULT line that run.sh parses.
-- Usage: wrk -s request.lua URL -- COOKIE [METHOD]

function init(args)
  if args[1] and args[1] ~= "" then
    wrk.headers["Cookie"] = args[1]
  end
  if args[2] and args[2] ~= "" then
    wrk.method = args[2]
  end
end

local non2xx = 0
function response(status)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%d p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
    math.floor(summary.requests / (summary.duration / 1e6)),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + non2xx))
end
