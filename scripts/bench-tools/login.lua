-- wrk: POST /api/v1/auth/login, each request as the next of the accounts listed one per line in the file
-- USERNAMES (all with PASSWORD), so that no account has two logins in flight (the throttle counts attempts in
-- flight per account: 8 parallel logins of one account would lock it). Each thread starts at its own offset.
local names = {}
for line in io.lines(os.getenv("USERNAMES")) do names[#names + 1] = line end
local password = os.getenv("PASSWORD")
local threads, counter = 0, 0
setup = function(thread)
  threads = threads + 1
  thread:set("offset", threads * 997)
end
request = function()
  counter = counter + 1
  local name = names[((offset or 0) + counter) % #names + 1]
  local body = string.format('{"username":"%s","password":"%s"}', name, password)
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
