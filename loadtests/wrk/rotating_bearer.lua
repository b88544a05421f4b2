-- wrk script used for every target of the ceiling benchmark (bare endpoint included, so the
-- per-request Lua cost is the same on both sides).
-- Usage: wrk -s rotating_bearer.lua URL -- <method> <path> [tokens_file]
-- With a tokens file (one token a line) each request carries the next token of the file as
-- "Authorization: Bearer <token>"; each thread starts at a different offset.
-- done() prints one line "WRK_JSON {...}" that loadtests/ceiling.py parses.

local tokens = {}
local method = "GET"
local path = "/"
local counter = 0
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

function init(args)
  method = args[1] or "GET"
  path = args[2] or "/"
  if args[3] and args[3] ~= "" then
    local file = assert(io.open(args[3], "r"))
    for line in file:lines() do
      if #line > 0 then
        tokens[#tokens + 1] = line
      end
    end
    file:close()
  end
  if #tokens > 0 then
    counter = ((thread_index or 1) * 7919) % #tokens
  end
end

function request()
  if #tokens == 0 then
    return wrk.format(method, path)
  end
  counter = counter % #tokens + 1
  return wrk.format(method, path, { ["Authorization"] = "Bearer " .. tokens[counter] })
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
