-- an uncaught error with a number value is converted to a string message
print("raising a number")
error(42)
