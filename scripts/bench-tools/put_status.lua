-- wrk: PUT /api/v1/me/status, alternating two types, with the bearer token TOKEN (one person), or each request
-- with the next of the tokens listed one per line in the file TOKENS (many people at once).
dofile("scripts/bench-tools/rotation.lua")
local tokens = os.getenv("TOKENS") and lines_of(os.getenv("TOKENS")) or {os.getenv("TOKEN")}
local n = 0
request = function()
  n = n + 1
  local body = (n % 2 == 0) and '{"type":"In","note":"at my desk"}' or '{"type":"Remote","note":"from home"}'
  local headers = {["Authorization"] = "Bearer " .. next_of(tokens), ["Content-Type"] = "application/json"}
  return wrk.format("PUT", "/api/v1/me/status", headers, body)
end
