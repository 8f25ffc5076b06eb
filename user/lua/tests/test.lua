-- The Lua runner's test script (qemu.lua_script): Lua semantics as the
-- Lua 5.4 manual documents them, the caps objects, and the absence of
-- ambient authority. Booted without a timer grant (qemu.lua_no_timer) the
-- first line fails with an error naming the cap.
local timer = caps.timer
local console = caps.console
local failures = 0

local function check(ok, what)
  if ok then
    console:writeLine("lua: " .. what .. " ok")
  else
    console:writeLine("lua: FAIL " .. what)
    failures = failures + 1
  end
end

-- strings
check(("hello"):upper() == "HELLO" and #"hello" == 5, "string basics")
check(string.format("%5.2f|%d|%s|%q", 3.14159, 42, "x", "a\nb") == " 3.14|42|x|\"a\\\nb\"", "string.format")
check(string.format("%.3f %g %g %e", 1/3, 1e20, 0.1, 12345.6789) == "0.333 1e+20 0.1 1.234568e+04", "string.format of floats")
check(tostring(1/0) == "inf" and tostring(-1/0) == "-inf" and tostring(0.1) == "0.1", "float tostring")
check(("a,b,,c"):gsub(",", ";") == "a;b;;c" and ("key=val"):match("(%w+)=(%w+)") == "key", "patterns")
check(("%d"):rep(3, "-") == "%d-%d-%d" and ("abc"):byte(2) == 98 and utf8.char(228) == "\xC3\xA4", "rep/byte/utf8")
check(tonumber("0x10") == 16 and tonumber("  12.5e1 ") == 125.0 and math.type(1) == "integer" and math.type(1.0) == "float", "numbers")
check(7 // 2 == 3 and 7 % -3 == -2 and 2^10 == 1024.0 and math.maxinteger + 1 == math.mininteger, "integer arithmetic")
check(math.abs(math.sin(math.pi / 2) - 1) < 1e-12 and math.floor(-2.5) == -3 and math.sqrt(16) == 4.0, "math")

-- tables
local t = {}
for i = 1, 1000 do t[i] = i * i end
check(#t == 1000 and t[1000] == 1000000, "array part")
table.sort(t, function(a, b) return a > b end)
check(t[1] == 1000000 and t[1000] == 1, "table.sort with comparator")
check(table.concat({1, 2, 3}, ",") == "1,2,3" and select("#", table.unpack({1, nil, 3}, 1, 3)) == 3, "concat/unpack")
local mt = setmetatable({}, {__index = function(_, k) return k .. "!" end, __add = function() return 99 end})
check(mt.x == "x!" and mt + 1 == 99, "metatables")
local weak = setmetatable({}, {__mode = "k"})
weak[{}] = 1
collectgarbage()
check(next(weak) == nil, "weak table collected")

-- coroutines
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d + e
end)
local ok1, v1 = coroutine.resume(co, 1, 2)
local ok2, v2 = coroutine.resume(co, 10)
local ok3, v3 = coroutine.resume(co, 3, 4)
check(ok1 and v1 == 3 and ok2 and v2 == 20 and ok3 and v3 == 7 and coroutine.status(co) == "dead", "coroutines")
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
check(gen() + gen() + gen() == 6, "coroutine.wrap")

-- errors
local ok, err = pcall(error, {code = 42})
check(not ok and type(err) == "table" and err.code == 42, "error with a table value")
ok, err = pcall(function() local x = nil; return x.y end)
check(not ok and err:find("attempt to index a nil value") ~= nil, "runtime error message")
local handled = xpcall(function() error("boom") end, function(m) return "handled: " .. m end)
check(handled == false, "xpcall")
ok, err = pcall(string.rep)
check(not ok and err:find("bad argument #1") ~= nil, "argument errors")
do
  local closed = false
  do
    local _ <close> = setmetatable({}, {__close = function() closed = true end})
  end
  check(closed, "to-be-closed variables")
end

-- no ambient authority
check(io == nil and package == nil and require == nil and dofile == nil and loadfile == nil, "no io/package/dofile")
check(os.execute == nil and os.getenv == nil and os.remove == nil and type(os.clock()) == "number", "os is clock-only")
check(load("return 1 + 1")() == 2, "load of a string chunk")

-- caps
local t0 = timer:now()
timer:sleep(1000000)
check(timer:now() >= t0 + 1000000, "caps.timer:now/sleep")
check(tostring(console):find("capos.Console") ~= nil, "caps.console is a Console")
ok, err = pcall(function() return caps.nope end)
check(not ok and err:find("no capability 'nope' granted") ~= nil, "missing cap names itself")
ok, err = pcall(function() caps.extra = 1 end)
check(not ok and err:find("read%-only") ~= nil, "caps is read-only")
ok, err = pcall(timer.now, console)
check(not ok and err:find("capos.Timer expected") ~= nil, "methods check their object's interface")
ok, err = pcall(timer.sleep, timer, -1)
check(not ok, "negative sleep refused")

print("lua: print goes to stdout")
if failures == 0 then
  console:writeLine("lua: all tests passed")
else
  error(failures .. " Lua checks failed")
end
