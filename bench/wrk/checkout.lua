-- wrk script: the checkout POST ("Buy with escrow") on distinct listings.
-- BENCH_CHECKOUT: lines "<listing id>\t<sessionid>\t<csrf token>"; thread k of n
-- takes lines k, k+n, k+2n … so no two requests ask for the same listing (the
-- pool is sized for the run). The CSRF token goes in the cookie and the form.
local items = {}
local pos = 0
local thread_counter = 0
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
end

function init(args)
  local n = 0
  for line in io.lines(os.getenv("BENCH_CHECKOUT")) do
    local id, session, csrf = line:match("^(%d+)\t([^\t]+)\t([^\t]+)$")
    if id then
      if n % threads == (tid - 1) then
        items[#items + 1] = { id = id, session = session, csrf = csrf }
      end
      n = n + 1
    end
  end
end

function request()
  pos = pos + 1
  local item = items[((pos - 1) % #items) + 1]
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "sessionid=" .. item.session .. "; csrftoken=" .. item.csrf,
    ["Accept-Language"] = "en",
  }
  return wrk.format("POST", "/listings/" .. item.id .. "/buy/", headers,
                    "csrfmiddlewaretoken=" .. item.csrf)
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
