-- wrk script used for every target of the ceiling benchmark (the bare endpoint included, with
-- the same headers and body, so the per-request client cost is the same on both sides).
-- Usage: wrk -s rotating_identities.lua URL -- <method> <path> [headers_file] [body_file] [idempotency]
-- headers_file: one line per request identity, tab-separated "Name: value" headers (for example
--   "Authorization: Bearer <position token>"); requests take the lines in turn, each thread
--   starting at a different offset.
-- body_file: a request body sent as is (application/json).
-- idempotency "1": every request carries a fresh "Idempotency-Key".
-- done() prints one line "WRK_JSON {...}" that loadtests/wrk_runner.py parses.

local identities = {}
local method = "GET"
local path = "/"
local body = nil
local idempotency = false
local counter = 0
local sent = 0
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

local function parse_headers(line)
  local headers = {}
  for part in string.gmatch(line, "[^\t]+") do
    local name, value = string.match(part, "^([^:]+):%s*(.*)$")
    if name then
      headers[name] = value
    end
  end
  return headers
end

function init(args)
  method = args[1] or "GET"
  path = args[2] or "/"
  if args[3] and args[3] ~= "" then
    local file = assert(io.open(args[3], "r"))
    for line in file:lines() do
      if #line > 0 then
        identities[#identities + 1] = parse_headers(line)
      end
    end
    file:close()
  end
  if args[4] and args[4] ~= "" then
    local file = assert(io.open(args[4], "r"))
    body = file:read("*a")
    file:close()
  end
  idempotency = args[5] == "1"
  if #identities > 0 then
    -- a different starting identity for every thread of every run
    math.randomseed(os.time() * 100 + (thread_index or 1))
    counter = math.random(#identities)
  end
end

function request()
  local headers = {}
  if #identities > 0 then
    counter = counter % #identities + 1
    for name, value in pairs(identities[counter]) do
      headers[name] = value
    end
  end
  if body then
    headers["Content-Type"] = "application/json"
  end
  if idempotency then
    sent = sent + 1
    headers["Idempotency-Key"] = string.format("wrk-%d-%d-%d", thread_index or 1, sent, os.time())
  end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,'
      .. '"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,'
      .. '"latency_mean_us":%.1f,"latency_p50_us":%d,"latency_p90_us":%d,'
      .. '"latency_p99_us":%d,"latency_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency.mean, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
end
