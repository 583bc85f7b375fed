-- wrk script: POSTs signed PagerDuty V3 deliveries, as PagerDuty sends them: every request is a
-- distinct event (its own event id and incident id in the signed body, so the gateway, which
-- de-duplicates by the signed event id, queues a job for each) with its own X-Webhook-Id.
--
--   wrk -t2 -c32 -d10s --latency -s signed_post.lua URL -- TEMPLATE_FILE SIGNATURES_FILE RUN_ID THREADS
--
-- TEMPLATE_FILE is the body with @N@ where the request's number goes (zero-padded to 9 digits);
-- SIGNATURES_FILE has the HMAC-SHA256 hex of body N on line N+1 (run.sh makes both: signing in
-- Lua would measure wrk, not the servers). Thread t of T sends bodies t-1, t-1+T, t-1+2T, ...;
-- past the last signature the bodies repeat (run.sh makes more than a run can send).
--
-- The same request goes to rdwh-gateway and to adnanh/webhook, carrying the same HMAC-SHA256 of
-- the same body in the two spellings the servers read:
--   X-PagerDuty-Signature: v1=<hex>     (PagerDuty's header, checked by the rdwh plugin)
--   X-Hub-Signature-256:   sha256=<hex> (webhook's payload-hmac-sha256 strips only "sha256=")
-- Each server ignores the other's header.
--
-- done() prints one machine-readable line for run.sh:
--   RESULT requests=N sent=N duration_us=N non2xx=N connect=N read=N write=N timeout=N
--          p50_us=N p90_us=N p99_us=N max_us=N mean_us=N
-- requests: answers received; sent: requests generated (the difference was in flight at the stop);
-- non2xx: wrk's "status" errors, answers with a status above 399.

local threads = {}
local next_tid = 1

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  local template_file, signatures_file, run_id = args[1], args[2], args[3]
  nthreads = tonumber(args[4])
  if not (template_file and signatures_file and run_id and nthreads) then
    error("usage: wrk ... -s signed_post.lua URL -- TEMPLATE_FILE SIGNATURES_FILE RUN_ID THREADS")
  end
  local f = assert(io.open(template_file, "rb"))
  template = f:read("*a")
  f:close()
  signatures = {}
  for line in io.lines(signatures_file) do signatures[#signatures + 1] = line end
  prefix = run_id .. "-" .. tid .. "-"
  sent = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "PagerDuty-Webhook/V3.0",
    ["X-Webhook-Subscription"] = "PBENCH0",
  }
end

function request()
  local n = ((tid - 1) + sent * nthreads) % #signatures
  sent = sent + 1
  local hex = signatures[n + 1]
  headers["X-Webhook-Id"] = prefix .. sent
  headers["X-PagerDuty-Signature"] = "v1=" .. hex
  headers["X-Hub-Signature-256"] = "sha256=" .. hex
  return wrk.format("POST", nil, headers, (template:gsub("@N@", string.format("%09d", n))))
end

function done(summary, latency, requests)
  local sent_total = 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + (thread:get("sent") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d sent=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%d\n",
    summary.requests, sent_total, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
