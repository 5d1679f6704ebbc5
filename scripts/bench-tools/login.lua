-- wrk: POST /api/v1/auth/login as USERNAME / PASSWORD (from the environment).
local body = string.format('{"username":"%s","password":"%s"}', os.getenv("USERNAME"), os.getenv("PASSWORD"))
request = function()
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
