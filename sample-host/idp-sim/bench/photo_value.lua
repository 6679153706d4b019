-- wrk script for the idp-sim throughput figure in docs/idp-sim.md: GET /v1.0/users/{id}/photo/$value
-- for random users taken from IDS_FILE (one object id per line), with the bearer in TOKEN.
local ids = {}
local token = os.getenv("TOKEN") or ""
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
math.randomseed(42)
request = function()
  local id = ids[math.random(1, #ids)]
  return wrk.format("GET", "/v1.0/users/" .. id .. "/photo/$value", { ["Authorization"] = "Bearer " .. token })
end
