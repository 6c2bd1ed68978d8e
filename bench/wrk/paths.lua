-- wrk script: GET a random line of BENCH_PATHS per request and print a JSON summary.
-- Each line of the file: "<path>" or "<path>\t<Cookie header>".
local lines = {}
local seeded = false

local function load(file)
  local out = {}
  for line in io.lines(file) do
    if line ~= "" then
      local path, cookie = line:match("^([^\t]+)\t(.*)$")
      if path == nil then path, cookie = line, nil end
      out[#out + 1] = { path = path, cookie = cookie }
    end
  end
  return out
end

local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
end

function init(args)
  lines = load(os.getenv("BENCH_PATHS"))
  math.randomseed(os.time() * 97 + (tid or 1))
  seeded = true
end

function request()
  local item = lines[math.random(#lines)]
  local headers = { ["Accept-Language"] = os.getenv("BENCH_LANG") or "en" }
  if item.cookie then headers["Cookie"] = item.cookie end
  return wrk.format("GET", item.path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
