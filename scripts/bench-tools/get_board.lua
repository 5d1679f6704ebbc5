-- wrk: GET /api/v1/people (the whole board) with a bearer token (TOKEN from the environment).
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/people", {["Authorization"] = "Bearer " .. token})
end
