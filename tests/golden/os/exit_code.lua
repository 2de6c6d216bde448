-- os.exit(3) ends the program with status 3 after flushing stdout
print("before exit")
io.write("buffered without newline")
os.exit(3)
print("never printed")
