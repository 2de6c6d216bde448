-- an event emitter with varargs, once-handlers, removal during emit and error isolation via pcall
local Emitter = {}
Emitter.__index = Emitter
function Emitter.new() return setmetatable({handlers = {}}, Emitter) end
function Emitter:on(ev, fn) local l = self.handlers[ev] or {} self.handlers[ev] = l l[#l + 1] = {fn = fn} return fn end
function Emitter:once(ev, fn) local l = self.handlers[ev] or {} self.handlers[ev] = l l[#l + 1] = {fn = fn, once = true} end
function Emitter:off(ev, fn)
  local l = self.handlers[ev] or {}
  for i = #l, 1, -1 do if l[i].fn == fn then table.remove(l, i) end end
end
function Emitter:emit(ev, ...)
  local l = self.handlers[ev]
  if not l then return 0 end
  local snapshot = {table.unpack(l)}
  local errors = {}
  for _, h in ipairs(snapshot) do
    if h.once then self:off(ev, h.fn) end
    local ok, err = pcall(h.fn, ...)
    if not ok then errors[#errors + 1] = err end
  end
  return #snapshot, #errors, errors[1]
end
local e = Emitter.new()
local log = {}
local function a(...) log[#log + 1] = "a(" .. table.concat({...}, ",") .. ")" end
e:on("x", a)
e:once("x", function(v) log[#log + 1] = "once(" .. tostring(v) .. ")" end)
e:on("x", function(v) if v == 2 then error("handler failed on " .. v, 0) end log[#log + 1] = "c" end)
print(e:emit("x", 1, "one"))
print(e:emit("x", 2))
e:off("x", a)
print(e:emit("x", 3))
print(e:emit("nothing"))
print(table.concat(log, " "))
