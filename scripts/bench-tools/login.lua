-- wrk: POST /api/v1/auth/login, each request as the next of the accounts listed one per line in the file
-- USERNAMES (all with PASSWORD), so that no account has two logins in flight (the throttle counts attempts in
-- flight per account: 8 parallel logins of one account would lock it).
dofile("scripts/bench-tools/rotation.lua")
local names = lines_of(os.getenv("USERNAMES"))
local password = os.getenv("PASSWORD")
request = function()
  local body = string.format('{"username":"%s","password":"%s"}', next_of(names), password)
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
