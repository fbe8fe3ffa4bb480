-- wrk script: POST /v1/batch to the consent gate with BATCH track events per request, each with
-- a messageId no request has used (so every event is new and committed), the write key as Basic
-- user. With MODE=refused the last event of every batch has a markup name: the whole request is
-- read and checked, then refused with 422 and nothing stored (the baseline without durability).
-- Usage: wrk -s gate.lua URL -- WRITE_KEY BATCH [refused]
-- Prints one RESULT line that run.sh parses (events/s = requests/s × BATCH).

local counter = 0
local thread_no = 0
local prefix_parts, suffix_parts = {}, {}
local n = 1

function setup(thread)
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
end

function init(args)
  local key = args[1] or "missing"
  n = tonumber(args[2] or "1")
  local refused = args[3] == "refused"
  for i = 1, n do
    local name = (refused and i == n) and "<script>" or "Order Completed"
    prefix_parts[i] = '{"type":"track","event":"' .. name .. '","anonymousId":"visitor-' .. (i % 97) ..
      '","messageId":"bench-'
    suffix_parts[i] = '-' .. i .. '","properties":{"revenue":499.5,"currency":"NOK","order_id":"O-' .. i ..
      '"},"context":{"ip":"198.51.100.77","page":{"url":"https://www.example.no/kasse"},' ..
      '"userAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}}'
  end
  local auth = "Basic " .. base64(key .. ":")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = auth
end

function request()
  counter = counter + 1
  local id = (thread_no or 0) .. "-" .. counter .. "-" .. math.random(1, 1e9)
  local parts = {}
  for i = 1, n do
    parts[i] = prefix_parts[i] .. id .. suffix_parts[i]
  end
  return wrk.format(nil, nil, nil, '{"batch":[' .. table.concat(parts, ",") .. ']}')
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function base64(text)
  return ((text:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d?%d?%d?%d?%d?', function(x)
    if (#x < 6) then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#text % 3 + 1])
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
