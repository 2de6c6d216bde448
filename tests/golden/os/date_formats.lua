-- os.date with many strftime conversions on a fixed UTC time (C locale)
local t = 1700000000
for _, f in ipairs{"%a", "%A", "%b", "%B", "%c", "%d", "%H", "%I", "%j", "%m", "%M", "%p", "%S", "%U", "%w", "%W", "%x", "%X", "%y", "%Y", "%%"} do
  io.write(f, "=", os.date("!" .. f, t), " ")
end
print()
print(os.date("!%Y-%m-%dT%H:%M:%SZ", 2^31 - 1))
print(os.date("!%H:%M", 3600 * 25 + 60 * 7))
print(os.date("!", t) == "", os.date("!plain text", t))
local d = os.date("!*t", 0)
print(d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
