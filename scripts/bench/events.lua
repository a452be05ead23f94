-- wrk script: registry notifications as the registry sends them, one push event per POST,
-- every 5th request repeating the previous event id (a retry/duplicate).
-- Env: BENCH_SECRET (the notification secret), BENCH_RUN (distinct per run: ids and times).
local secret = os.getenv("BENCH_SECRET") or ""
local run = tonumber(os.getenv("BENCH_RUN") or "1")
local counter = 0
local tid = "t"

function setup(thread)
  thread:set("tid", run .. "-" .. tostring(math.random(1, 1000000000)))
end

function init(args)
  counter = 0
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/vnd.docker.distribution.events.v1+json"
wrk.headers["Authorization"] = "Bearer " .. secret

function request()
  counter = counter + 1
  local n = counter
  if counter % 5 == 0 then n = counter - 1 end
  local id = tid .. "-" .. n
  local body = string.format(
    '{"events":[{"id":"%s","timestamp":"2026-11-28T%02d:%02d:%02d.%06dZ","action":"push",' ..
    '"target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,' ..
    '"digest":"sha256:%064x","repository":"bench/app%d","tag":"t%d","references":[{"size":1000}]},' ..
    '"request":{"method":"PUT","addr":"127.0.0.1:1"},"actor":{"name":"bench"},' ..
    '"source":{"addr":"r1:5000","instanceID":"i1"}}]}',
    id, 10 + run, math.floor(n / 60000000) % 60, math.floor(n / 1000000) % 60, n % 1000000, n, n % 50, n % 20)
  return wrk.format(nil, "/v2/webhooks/events", nil, body)
end
