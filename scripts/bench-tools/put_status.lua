-- wrk: PUT /api/v1/me/status with the bearer token TOKEN (one person), or each request with the next of the tokens
-- listed one per line in the file TOKENS (many people at once); each person's changes alternate two types.
dofile("scripts/bench-tools/rotation.lua")
local single = os.getenv("TOKEN")
local tokens = (single and single ~= "") and {single} or lines_of(assert(os.getenv("TOKENS"), "set TOKEN or TOKENS"))
request = function()
  local token, pass = next_of(tokens)
  local body = (pass % 2 == 0) and '{"type":"In","note":"at my desk"}' or '{"type":"Remote","note":"from home"}'
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  return wrk.format("PUT", "/api/v1/me/status", headers, body)
end
