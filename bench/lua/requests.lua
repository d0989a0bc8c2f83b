-- wrk script for every bench scenario. The bench writes the requests to a Lua data file
-- (BENCH_DATA) and this script cycles through them, counting responses by status. With
-- `track_etags`, each response's ETag ("<id>-<version>") replaces the tag that the next
-- If-Match for that id sends, so conditional PATCHes stay current. done() prints one JSON
-- line the bench parses.
local data = dofile(os.getenv("BENCH_DATA"))
local entries = data.requests
local count = #entries
local position = 0
local prepared = {}
local etags = {}

-- Globals, so that done() can read them from each thread with thread:get().
statuses = {}
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- Threads start apart, so they do not walk the same rows in step.
  position = ((thread_index or 0) * 997) % count
  for i, entry in ipairs(entries) do
    if not entry.etag_key then
      prepared[i] = wrk.format(entry.method, entry.path, headers_of(entry), entry.body)
    end
  end
end

function headers_of(entry)
  local headers = { ["Accept"] = "application/json" }
  if entry.token then headers["Authorization"] = "Bearer " .. entry.token end
  if entry.body then headers["Content-Type"] = "application/json" end
  return headers
end

function request()
  position = position % count + 1
  local cached = prepared[position]
  if cached then return cached end
  local entry = entries[position]
  local headers = headers_of(entry)
  headers["If-Match"] = etags[entry.etag_key] or entry.etag
  return wrk.format(entry.method, entry.path, headers, entry.body)
end

local track_etags = data.track_etags

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if track_etags then
    local tag = headers["etag"] or headers["ETag"]
    if tag then
      local key = tag:match('^"(%d+)%-')
      if key then etags[key] = tag end
    end
  end
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    if counts then
      for status, n in pairs(counts) do merged[status] = (merged[status] or 0) + n end
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"p50_us":%.0f,"p99_us":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout, table.concat(parts, ",")))
end
