-- wrk script for bench/sparql_bench.py: GET <endpoint>?query=... round-robin over a list of queries.
--
-- Read from the environment (bench/sparql_bench.py sets them):
--   SB_PATH    the endpoint's path: /sparql (ilograph, rdflib-endpoint) or /query (Oxigraph)
--   SB_QUERIES a file with one query a line, already percent-encoded (so no space in it). A line of
--              one part is sent as it is (the WARM regime: the same text again and again). A line of
--              several parts separated by single spaces is a template (the COLD regime): the parts
--              are joined with a nonce that no other request of the whole run uses, so every request
--              is a distinct query text. bench/sparql_bench.py cuts the templates so that the nonce
--              lands in an unused PREFIX name ("PREFIX c<nonce>: <urn:x-sparql-bench:>"): the text
--              changes, the work and the answer do not.
--   SB_SALT    makes the nonces of this run differ from those of every earlier case on the same server
--   SB_ACCEPT  the Accept header (default application/sparql-results+json)
--
-- done() prints one line "SB_RESULT {json}" with the counts and latency percentiles (microseconds),
-- which bench/sparql_bench.py reads; wrk's own report is printed too.

local path = os.getenv("SB_PATH") or "/sparql"
local salt = os.getenv("SB_SALT") or "0"
wrk.method = "GET"
wrk.headers["Accept"] = os.getenv("SB_ACCEPT") or "application/sparql-results+json"

local function split(line)
  local parts = {}
  for part in string.gmatch(line, "[^ ]+") do
    parts[#parts + 1] = part
  end
  return parts
end

local templates = {}
local file = assert(io.open(os.getenv("SB_QUERIES"), "r"))
for line in file:lines() do
  if #line > 0 then
    templates[#templates + 1] = split(line)
  end
end
file:close()
assert(#templates > 0, "SB_QUERIES holds no query")

thread_id = 0       -- a global: setup() sets it in each thread's environment
local started = 0   -- (setup() runs in the main environment, once per thread)
local fixed = {}    -- the WARM requests, formatted once
local counter = 0

function setup(thread)
  started = started + 1
  thread:set("thread_id", started)
end

function init(args)
  for i, parts in ipairs(templates) do
    if #parts == 1 then
      fixed[i] = wrk.format(nil, path .. "?query=" .. parts[1])
    end
  end
end

function request()
  local i = counter % #templates + 1
  counter = counter + 1
  local ready = fixed[i]
  if ready then
    return ready
  end
  local nonce = salt .. "t" .. thread_id .. "n" .. counter
  return wrk.format(nil, path .. "?query=" .. table.concat(templates[i], nonce))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SB_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, '
    .. '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
