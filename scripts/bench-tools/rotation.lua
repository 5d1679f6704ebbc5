-- For wrk scripts run with two threads (-t2) that spread their requests over a list (accounts, tokens), loaded
-- with dofile from the repository's root. It defines the globals lines_of, next_of and setup (a script that
-- loads it defines no setup of its own). Each thread takes its own half of the list, so that the two threads
-- never ask for the same entry at once, however far apart they drift.
function lines_of(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  assert(#lines > 0, path .. " lists nothing")
  return lines
end

local threads = 0
function setup(thread)
  threads = threads + 1
  assert(threads <= 2, "run with two threads (-t2): each takes half of the list")
  thread:set("thread_number", threads)
end

local counter = 0
-- This thread's next entry, and how many times it has gone through its half before (0, 1, ...).
function next_of(list)
  counter = counter + 1
  if #list == 1 then return list[1], counter - 1 end
  local half = math.floor(#list / 2)
  local step = counter - 1
  return list[((thread_number or 1) - 1) * half + step % half + 1], math.floor(step / half)
end
