-- wrk script: POSTs a Functions host invocation envelope, as the host
-- does, and checks each answer.
--
--   wrk -t1 -cC -dD --script bench/invoke.lua URL \
--       -- BODY_FILE EXPECT [MAX [RUN]]
--
-- BODY_FILE holds the envelope. When it contains @N@, each request puts
-- RUN-<thread>-<count> there (unique game ids for GameCompleted); otherwise
-- wrk builds the request once and sends the same bytes every time, which
-- keeps the client's own cost low. EXPECT is a string every good answer
-- holds (the outer status is 200 even when the function answered 503
-- through Outputs.res, so the status alone says little). MAX, when given
-- and not 0, ends the run once a thread has had that many answers (with
-- -t1 that is the whole count; -d is then only an upper bound). done()
-- prints one JSON line for bench/throughput.py.

local body, expect, max, run, template
local n = 0
local threads = {}
-- Globals, not locals: done() reads them from each thread with t:get().
answers, bad = 0, 0

local headers = {
  ["Content-Type"] = "application/json; charset=utf-8",
  ["User-Agent"] = "Azure-Functions-Host/4.1037.0.0",
  ["X-Azure-Functions-HostVersion"] = "4.1037.0.0",
}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  expect = args[2]
  max = tonumber(args[3] or "0")
  run = args[4] or "run"
  wrk.method, wrk.body = "POST", body
  for k, v in pairs(headers) do wrk.headers[k] = v end
  if body:find("@N@", 1, true) then
    template = body
    -- Defined only here: wrk calls request() for every request when it
    -- exists, and sends one prebuilt request otherwise.
    request = function()
      n = n + 1
      local id = string.format("%s-%d-%d", run, thread_index, n)
      return wrk.format(nil, nil, nil, (template:gsub("@N@", id)))
    end
  end
end

-- expect lists what a good answer holds, alternatives split by "|".
local function expected(text)
  for alternative in expect:gmatch("[^|]+") do
    if text:find(alternative, 1, true) then
      return true
    end
  end
  return false
end

function response(status, hdrs, text)
  answers = answers + 1
  if status ~= 200 or not expected(text) then
    bad = bad + 1
  end
  if max > 0 and answers == max then
    -- thread:stop() ends this thread's loop, but wrk's main thread sleeps
    -- out the whole -d duration unless a SIGINT wakes it, as Ctrl-C does.
    -- Sent a moment later, when this thread has ended and the main thread
    -- is the only one left to take it.
    wrk.thread:stop()
    local f = io.open("/proc/self/stat")
    local pid = f:read("*n")
    f:close()
    os.execute("(sleep 0.2; kill -INT " .. pid .. ") &")
  end
end

function done(summary, latency, requests)
  local answered, wrong = 0, 0
  for _, t in ipairs(threads) do
    answered = answered + t:get("answers")
    wrong = wrong + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"answers":%d,"bad":%d,"micros":%d,' ..
    '"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, answered, wrong, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
