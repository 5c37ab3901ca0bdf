-- wrk script of the benchmarks (bench/wrk.py): rotates through pre-built GET requests, one per
-- line of the file named by the environment variable WRK_REQUESTS, as
--     <path>\t<header name>\t<header value>        (name and value may be empty)
-- so "my tasks" is asked as many different users. Each thread starts at its own offset.
-- done() prints one line that bench/wrk.py parses:
--     WRK_RESULT requests=.. duration_us=.. errors_status=.. ... p50_us=.. p95_us=.. p99_us=..

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local reqs = {}
local i = 0

function init(args)
  local file = assert(io.open(os.getenv("WRK_REQUESTS"), "r"))
  for line in file:lines() do
    local path, name, value = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path == nil then
      path, name, value = line, "", ""
    end
    local headers = {}
    if name ~= "" then
      headers[name] = value
    end
    reqs[#reqs + 1] = wrk.format("GET", path, headers)
  end
  file:close()
  -- threads start apart from each other in the list
  i = math.floor((id or 0) * #reqs / 7) % #reqs
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d errors_status=%d errors_connect=%d " ..
    "errors_read=%d errors_write=%d errors_timeout=%d p50_us=%d p95_us=%d p99_us=%d " ..
    "mean_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max))
end
