-- wrk script: POSTs one signed PagerDuty V3 delivery over and over, as PagerDuty sends it, with a
-- distinct X-Webhook-Id on every request (the gateway's outbox de-duplicates by that header: with
-- a constant id only the first delivery would queue a job).
--
--   wrk -t2 -c32 -d10s --latency -s signed_post.lua URL -- BODY_FILE HMAC_HEX RUN_ID
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
  local body_file, hex, run_id = args[1], args[2], args[3]
  if not (body_file and hex and run_id) then
    error("usage: wrk ... -s signed_post.lua URL -- BODY_FILE HMAC_HEX RUN_ID")
  end
  local f = assert(io.open(body_file, "rb"))
  body = f:read("*a")
  f:close()
  prefix = run_id .. "-" .. tid .. "-"
  sent = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "PagerDuty-Webhook/V3.0",
    ["X-Webhook-Subscription"] = "PBENCH0",
    ["X-PagerDuty-Signature"] = "v1=" .. hex,
    ["X-Hub-Signature-256"] = "sha256=" .. hex,
  }
end

function request()
  sent = sent + 1
  headers["X-Webhook-Id"] = prefix .. sent
  return wrk.format("POST", nil, headers, body)
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
