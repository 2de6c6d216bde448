-- goto rules that compile: jumping to a label at the end of a block past locals, labels in nested functions, redo loops
do
  goto finish
  local skipped = 1
  ::finish::
end
print("jumped past a local to the end of the block")
local function retry(limit)
  local attempts = 0
  ::redo::
  attempts = attempts + 1
  if attempts < limit then goto redo end
  return attempts
end
print(retry(4))
local out = {}
for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto next_j end
    if i == 3 then goto next_i end
    out[#out + 1] = i .. j
    ::next_j::
  end
  ::next_i::
end
print(table.concat(out, " "))
local f = load("do goto a end ::a:: return 'label after block'")
print(f())
local g = load("local x = 1 goto done ::done:: return x")
print(g())
