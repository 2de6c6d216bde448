-- an uncaught error() with a string message at level 1
io.write("partial output ")
print("then newline")
error("fatal problem")
