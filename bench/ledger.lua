-- wrk script for the ledger bench: each request gives 1 credit from one bench volunteer to
-- another (POST /v1/credit-gifts), with a unique Idempotency-Key, so every 201 is one committed
-- double-entry movement. Volunteer ids come from the file named by KITH_LEDGER_PEOPLE; the admin
-- key from KITH_KEY.
local people = {}
for line in io.lines(os.getenv("KITH_LEDGER_PEOPLE")) do people[#people + 1] = line end
local key = os.getenv("KITH_KEY")
local counter = 0
local tag = tostring(math.random(1, 1e9))

function setup(thread)
  thread:set("tag", tostring(math.random(1, 1e9)))
end

function request()
  counter = counter + 1
  local from = people[(counter * 7) % #people + 1]
  local to = people[(counter * 7 + 1 + counter % (#people - 1)) % #people + 1]
  if to == from then to = people[(counter * 7 + 1) % #people + 1] end
  local body = '{"from_person_id": "' .. from .. '", "to_person_id": "' .. to .. '", "credits": 1}'
  return wrk.format("POST", "/v1/credit-gifts", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = tag .. "-" .. counter,
  }, body)
end

local statuses = {}
function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("ledger: %d requests, %.1f req/s, %d socket errors\n", summary.requests,
    summary.requests / (summary.duration / 1e6), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
