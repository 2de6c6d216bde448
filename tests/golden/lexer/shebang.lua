#!/usr/bin/env lua5.2
-- a first line starting with # is skipped
print("shebang skipped")
print(debug.getinfo(1, "l").currentline)
