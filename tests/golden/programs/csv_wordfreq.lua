-- CSV parsing with quoted fields and a word-frequency count with deterministic ordering
local function parse_csv_line(line)
  local fields, pos = {}, 1
  while true do
    if line:sub(pos, pos) == '"' then
      local buf, i = {}, pos + 1
      while true do
        local c = line:sub(i, i)
        if c == '"' then
          if line:sub(i + 1, i + 1) == '"' then buf[#buf + 1] = '"' i = i + 2 else i = i + 1 break end
        else buf[#buf + 1] = c i = i + 1 end
      end
      fields[#fields + 1] = table.concat(buf)
      pos = i + 1
    else
      local e = line:find(",", pos, true)
      fields[#fields + 1] = line:sub(pos, (e or #line + 1) - 1)
      pos = (e or #line + 1) + 1
    end
    if pos > #line + 1 then break end
  end
  return fields
end
for _, l in ipairs{'a,b,c', '"quoted, comma",x', '"say ""hi""",,end', ',', 'single'} do
  local f = parse_csv_line(l)
  for i = 1, #f do f[i] = "[" .. f[i] .. "]" end
  print(#f, table.concat(f, " "))
end
local text = [[the quick brown fox jumps over the lazy dog the fox barks and the dog sleeps
a quick rest for the dog]]
local freq = {}
for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local words = {}
for w, n in pairs(freq) do words[#words + 1] = {w = w, n = n} end
table.sort(words, function(a, b) if a.n ~= b.n then return a.n > b.n end return a.w < b.w end)
for i = 1, 6 do io.write(words[i].w, "=", words[i].n, " ") end print()
print(#words)
