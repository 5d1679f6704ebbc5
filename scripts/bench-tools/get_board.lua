-- wrk: GET /api/v1/people (the whole board) with a bearer token (TOKEN from the environment), and with
-- If-None-Match: ETAG when ETAG is set (a client revalidating the board it holds: 304 while unchanged), and
-- Accept-Encoding: ACCEPT_ENCODING when that is set (a browser's request).
local token = os.getenv("TOKEN")
local etag = os.getenv("ETAG")
local headers = {["Authorization"] = "Bearer " .. token}
if etag and etag ~= "" then headers["If-None-Match"] = etag end
local accept = os.getenv("ACCEPT_ENCODING")
if accept and accept ~= "" then headers["Accept-Encoding"] = accept end
request = function()
  return wrk.format("GET", "/api/v1/people?limit=1000", headers)
end
