-- an uncaught error with a table value (no __tostring): "(error object is a table value)"
print("raising a table")
error({code = 7})
