-- wrk script: registry notifications as the registry sends them, one push event per POST,
-- every 5th request repeating the previous event (a retry/duplicate). Every other event id is
-- new to wharf: ids differ between threads and between runs.
-- Env: BENCH_SECRET (the notification secret), BENCH_RUN (distinct per run: ids and times),
-- BENCH_ENVELOPE: v1 (registry 2.8, default: random UUIDv4 ids) or v2 (registry 3: its media
-- type, UUIDv7 ids, the OCI descriptor inline in `target`, every record present).
local secret = os.getenv("BENCH_SECRET") or ""
local run = tonumber(os.getenv("BENCH_RUN") or "1")
local counter = 0
-- A global, not a local: `thread:set` reaches globals of the thread's state only.
thread_no = 0

function setup(thread)
  -- Globals of each thread's own Lua state: `thread_no` tells the threads' ids apart.
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
end

function init(args)
  counter = 0
  math.randomseed(run * 1000 + thread_no)
end

local v2 = os.getenv("BENCH_ENVELOPE") == "v2"
wrk.method = "POST"
wrk.headers["Content-Type"] = v2 and "application/vnd.docker.distribution.events.v2+json"
  or "application/vnd.docker.distribution.events.v1+json"
wrk.headers["Authorization"] = "Bearer " .. secret

local last_id = ""

-- Registry 2.8: a random UUIDv4.
local function uuid_v4()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), 0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

-- Registry 3: a UUIDv7 (milliseconds first, so ids arrive in order), unique per run and thread.
local function uuid_v7(n)
  return string.format("0190%04x-%04x-7%03x-8%03x-%012x", run % 65536, math.floor(n / 4096 / 4096) % 65536,
    math.floor(n / 4096) % 4096, n % 4096, thread_no)
end

function request()
  counter = counter + 1
  local n = counter
  local id
  if counter % 5 == 0 then
    n = counter - 1
    id = last_id
  else
    id = v2 and uuid_v7(n) or uuid_v4()
    last_id = id
  end
  -- Distinct digests per run and thread, so every new event changes a tag.
  local digest = string.format("%016x%016x%032x", run, thread_no, n)
  local when = string.format("2026-11-28T%02d:%02d:%02d.%06dZ", 10 + run, math.floor(n / 60000000) % 60,
    math.floor(n / 1000000) % 60, n % 1000000)
  if v2 then
    -- What registry 3.1.1 sends: the descriptor with annotations and length, url, request id
    -- and user agent.
    local body = string.format(
      '{"events":[{"id":"%s","timestamp":"%s","action":"push",' ..
      '"target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":500,' ..
      '"annotations":{"org.opencontainers.image.created":"2026-11-28T00:00:00Z"},"length":500,' ..
      '"repository":"bench/app%d","url":"http://r1:5000/v2/bench/app/manifests/x","tag":"t%d",' ..
      '"references":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":1000}]},' ..
      '"request":{"id":"req","addr":"127.0.0.1:1","host":"lb","method":"PUT","useragent":"bench"},' ..
      '"actor":{"name":"bench"},"source":{"addr":"r1:5000","instanceID":"i1"}}]}',
      id, when, digest, n % 50, n % 20, digest)
    return wrk.format(nil, "/v2/webhooks/events", nil, body)
  end
  local body = string.format(
    '{"events":[{"id":"%s","timestamp":"%s","action":"push",' ..
    '"target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,' ..
    '"digest":"sha256:%s","repository":"bench/app%d","tag":"t%d","references":[{"size":1000}]},' ..
    '"request":{"method":"PUT","addr":"127.0.0.1:1"},"actor":{"name":"bench"},' ..
    '"source":{"addr":"r1:5000","instanceID":"i1"}}]}',
    id, when, digest, n % 50, n % 20)
  return wrk.format(nil, "/v2/webhooks/events", nil, body)
end
