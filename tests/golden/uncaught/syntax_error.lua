-- a file that does not compile: syntax error reported with the file name, status 1, no stdout
print("never runs")
local x = = 2
