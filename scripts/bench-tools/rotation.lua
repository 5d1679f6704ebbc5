-- For wrk scripts that spread their requests over a list (accounts, tokens), loaded with dofile from the
-- repository's root: lines_of(path) reads the list, next_of(list) gives each request the next entry. Each of
-- wrk's two threads starts half the list away from the other, so that their requests in flight are for
-- different entries.
function lines_of(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  return lines
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local counter = 0
function next_of(list)
  counter = counter + 1
  local offset = (thread_number or 1) * math.floor(#list / 2)
  return list[(offset + counter) % #list + 1]
end
