-- wrk: PUT /api/v1/me/status with a bearer token (TOKEN from the environment), alternating two types.
local token = os.getenv("TOKEN")
local n = 0
request = function()
  n = n + 1
  local body = (n % 2 == 0) and '{"type":"In","note":"at my desk"}' or '{"type":"Remote","note":"from home"}'
  return wrk.format("PUT", "/api/v1/me/status", {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
