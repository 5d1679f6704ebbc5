-- wrk: PUT /api/v1/me/status, each request with the next bearer token of the file TOKENS (one per line): many
-- people changing their own status at once, alternating two types. Each thread starts at its own offset.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local threads, n = 0, 0
setup = function(thread)
  threads = threads + 1
  thread:set("offset", threads * 61)
end
request = function()
  n = n + 1
  local body = (n % 2 == 0) and '{"type":"In","note":"at my desk"}' or '{"type":"Remote","note":"from home"}'
  local token = tokens[((offset or 0) + n) % #tokens + 1]
  return wrk.format("PUT", "/api/v1/me/status", {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
