-- a binary heap priority queue and a FIFO queue; deterministic tie-breaking by insertion order
local Heap = {}
Heap.__index = Heap
function Heap.new() return setmetatable({items = {}, seq = 0}, Heap) end
local function less(a, b) if a.pri ~= b.pri then return a.pri < b.pri end return a.seq < b.seq end
function Heap:push(pri, value)
  self.seq = self.seq + 1
  local items = self.items
  items[#items + 1] = {pri = pri, seq = self.seq, value = value}
  local i = #items
  while i > 1 do
    local p = math.floor(i / 2)
    if less(items[i], items[p]) then items[i], items[p] = items[p], items[i] i = p else break end
  end
end
function Heap:pop()
  local items = self.items
  if #items == 0 then return nil end
  local top = items[1]
  items[1] = items[#items]
  items[#items] = nil
  local i = 1
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if items[l] and less(items[l], items[m]) then m = l end
    if items[r] and less(items[r], items[m]) then m = r end
    if m == i then break end
    items[i], items[m] = items[m], items[i]
    i = m
  end
  return top.value, top.pri
end
local h = Heap.new()
for i, w in ipairs{"pear", "fig", "apple", "kiwi", "date", "plum", "lime"} do h:push(#w, w) end
local out = {}
while true do local v, p = h:pop() if not v then break end out[#out + 1] = p .. ":" .. v end
print(table.concat(out, " "))
local Queue = {}
Queue.__index = Queue
function Queue.new() return setmetatable({first = 1, last = 0}, Queue) end
function Queue:push(v) self.last = self.last + 1 self[self.last] = v end
function Queue:pop() if self.first > self.last then return nil end local v = self[self.first] self[self.first] = nil self.first = self.first + 1 return v end
local q = Queue.new()
for i = 1, 5 do q:push(i * i) end
print(q:pop(), q:pop(), q:pop())
q:push("x")
print(q:pop(), q:pop(), q:pop(), q:pop())
