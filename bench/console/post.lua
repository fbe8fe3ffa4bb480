-- wrk script: POST the URL with no body (as navigator.sendBeacon sends the banner's view
-- report), and print one RESULT line that run.sh parses.
-- Usage: wrk -s post.lua URL

wrk.method = "POST"

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
