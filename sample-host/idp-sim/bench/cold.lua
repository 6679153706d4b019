-- wrk script for the cold idp-sim throughput figure in docs/idp-sim.md: GET
-- /v1.0/users/{id}/photo/$value walking IDS_FILE (every user with a photo, shuffled) in order,
-- so that no user is asked twice until all have been; the bearer is in TOKEN.
local ids = {}
local token = os.getenv("TOKEN") or ""
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local i = 0
request = function()
  i = i + 1
  local id = ids[(i - 1) % #ids + 1]
  return wrk.format("GET", "/v1.0/users/" .. id .. "/photo/$value", { ["Authorization"] = "Bearer " .. token })
end
