-- os.exit() with no argument exits with status 0 immediately
print("exit default")
os.exit()
print("never")
