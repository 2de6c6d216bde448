-- an LRU cache built on a doubly linked list and a metatable-based API (__index, __newindex, __len)
local LRU = {}
LRU.__index = LRU
local function new(capacity)
  local head, tail = {}, {}
  head.next, tail.prev = tail, head
  local self = {capacity = capacity, map = {}, head = head, tail = tail, size = 0, evicted = {}}
  return setmetatable({}, {
    __index = function(_, k) if LRU[k] then return function(_, ...) return LRU[k](self, ...) end end return LRU.get(self, k) end,
    __newindex = function(_, k, v) LRU.put(self, k, v) end,
    __len = function() return self.size end,
  })
end
local function unlink(node) node.prev.next, node.next.prev = node.next, node.prev end
local function push_front(self, node)
  node.next, node.prev = self.head.next, self.head
  self.head.next.prev = node
  self.head.next = node
end
function LRU.get(self, k)
  local node = self.map[k]
  if not node then return nil end
  unlink(node) push_front(self, node)
  return node.value
end
function LRU.put(self, k, v)
  local node = self.map[k]
  if node then node.value = v unlink(node) push_front(self, node) return end
  if self.size == self.capacity then
    local last = self.tail.prev
    unlink(last)
    self.map[last.key] = nil
    self.size = self.size - 1
    self.evicted[#self.evicted + 1] = last.key
  end
  node = {key = k, value = v}
  self.map[k] = node
  push_front(self, node)
  self.size = self.size + 1
end
function LRU.keys(self)
  local out, n = {}, self.head.next
  while n ~= self.tail do out[#out + 1] = tostring(n.key) n = n.next end
  return table.concat(out, ",")
end
function LRU.evictions(self) return table.concat(self.evicted, ",") end
local c = new(3)
c.a = 1 c.b = 2 c.c = 3
print(#c, c:keys())
print(c.a, c:keys())
c.d = 4
print(#c, c:keys(), c:evictions(), c.b)
c.c = 30
c.e = 5
print(c:keys(), c:evictions(), c.c, c.a)
for i = 1, 100 do c["k" .. i] = i end
print(#c, c:keys(), #c:evictions())
