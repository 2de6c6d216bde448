-- io.write formats numbers like tostring (%.14g); write errors for invalid arguments
io.write(1, " ", 1.5, " ", 1e100, " ", -0.0, " ", 2^53, " ", 1/3, "\n")
io.write(string.format("%5.1f|", 3.14159), "\n")
print(pcall(io.write, {}))
print(pcall(io.write, nil))
print(pcall(io.write, true))
io.write() io.write("") print("end")
