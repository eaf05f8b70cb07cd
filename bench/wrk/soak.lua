-- wrk script for bench/soak.py: the soak's mix of requests (pages, 303s and documents, dumps, the
-- catalogue, the query page, SPARQL by GET and POST, new queries, conditional requests), picked at
-- random, for the load at a concurrency the Python client cannot offer on a small machine.
--
-- Read from the environment (bench/soak.py sets them):
--   SOAK_REQUESTS  a file of requests drawn from the soak's weighted mix, one a line:
--                  METHOD <tab> PATH <tab> HEADERS <tab> BODY
--                  HEADERS: "Name: value" pairs separated by the byte 0x1f; BODY: hex, or empty for
--                  none. SOAKNONCE in PATH or BODY is replaced by a number no other request of the
--                  run uses (a new query text: no cache answers it).
--   SOAK_SEED      the seed of wrk's random picks
--
-- done() prints one line "SOAK_WRK {json}" with the counts and latency percentiles (microseconds);
-- wrk counts an answer of status 400 or more as an error ("status"): every request of the mix
-- expects 200, 206, 303 or 304.

local requests = {}
local file = assert(io.open(os.getenv("SOAK_REQUESTS"), "r"))
for line in file:lines() do
  local method, path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
  if method then
    local parsed = {}
    for pair in headers:gmatch("[^\31]+") do
      local name, value = pair:match("^([^:]+): (.*)$")
      if name then
        parsed[name] = value
      end
    end
    local raw = nil
    if #body > 0 then
      raw = body:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
    end
    requests[#requests + 1] = {method = method, path = path, headers = parsed, body = raw,
                               nonce = path:find("SOAKNONCE", 1, true) or (raw and raw:find("SOAKNONCE", 1, true))}
  end
end
file:close()
assert(#requests > 0, "SOAK_REQUESTS holds no request")

thread_id = 0
local started = 0
local counter = 0

function setup(thread)
  started = started + 1
  thread:set("thread_id", started)
end

function init(args)
  math.randomseed(tonumber(os.getenv("SOAK_SEED") or "1") + thread_id)
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do
    out[k] = v
  end
  return out
end

function request()
  counter = counter + 1
  local r = requests[math.random(#requests)]
  local path, body = r.path, r.body
  if r.nonce then
    local n = "t" .. thread_id .. "n" .. counter
    path = path:gsub("SOAKNONCE", n)
    if body then
      body = body:gsub("SOAKNONCE", n)
    end
  end
  return wrk.format(r.method, path, copy(r.headers), body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAK_WRK {"requests": %d, "duration_us": %d, "bytes": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"min": %d, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
