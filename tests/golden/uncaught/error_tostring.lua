-- an uncaught error with a table value that has __tostring: the standalone interpreter uses it
print("raising an object")
error(setmetatable({}, {__tostring = function() return "custom error object" end}))
