-- wrk script: registry notifications as the registry sends them, one push event per POST,
-- every 5th request repeating the previous event id (a retry/duplicate).
-- Env: BENCH_SECRET (the notification secret), BENCH_RUN (distinct per run: ids and times),
-- BENCH_ENVELOPE: v1 (registry 2.8, default) or v2 (registry 3: its media type, UUIDv7-shaped
-- ids, the OCI descriptor inline in `target`, every record present).
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

local v2 = os.getenv("BENCH_ENVELOPE") == "v2"
wrk.method = "POST"
wrk.headers["Content-Type"] = v2 and "application/vnd.docker.distribution.events.v2+json"
  or "application/vnd.docker.distribution.events.v1+json"
wrk.headers["Authorization"] = "Bearer " .. secret

function request()
  counter = counter + 1
  local n = counter
  if counter % 5 == 0 then n = counter - 1 end
  local id = tid .. "-" .. n
  if v2 then
    -- What registry 3.1.1 sends: a UUIDv7-shaped id, the descriptor with annotations and
    -- length, url, request id and user agent.
    local body = string.format(
      '{"events":[{"id":"0190%04x-%04x-7%03x-8%03x-%012x","timestamp":"2026-11-28T%02d:%02d:%02d.%06dZ","action":"push",' ..
      '"target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064x","size":500,' ..
      '"annotations":{"org.opencontainers.image.created":"2026-11-28T00:00:00Z"},"length":500,' ..
      '"repository":"bench/app%d","url":"http://r1:5000/v2/bench/app/manifests/x","tag":"t%d",' ..
      '"references":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%064x","size":1000}]},' ..
      '"request":{"id":"req","addr":"127.0.0.1:1","host":"lb","method":"PUT","useragent":"bench"},' ..
      '"actor":{"name":"bench"},"source":{"addr":"r1:5000","instanceID":"i1"}}]}',
      run % 65536, math.floor(n / 4096 / 4096) % 65536, math.floor(n / 4096) % 4096, n % 4096, tonumber(string.sub(tid, 3)) or 0,
      10 + run, math.floor(n / 60000000) % 60, math.floor(n / 1000000) % 60, n % 1000000, n, n % 50, n % 20, n)
    return wrk.format(nil, "/v2/webhooks/events", nil, body)
  end
  local body = string.format(
    '{"events":[{"id":"%s","timestamp":"2026-11-28T%02d:%02d:%02d.%06dZ","action":"push",' ..
    '"target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,' ..
    '"digest":"sha256:%064x","repository":"bench/app%d","tag":"t%d","references":[{"size":1000}]},' ..
    '"request":{"method":"PUT","addr":"127.0.0.1:1"},"actor":{"name":"bench"},' ..
    '"source":{"addr":"r1:5000","instanceID":"i1"}}]}',
    id, 10 + run, math.floor(n / 60000000) % 60, math.floor(n / 1000000) % 60, n % 1000000, n, n % 50, n % 20)
  return wrk.format(nil, "/v2/webhooks/events", nil, body)
end
