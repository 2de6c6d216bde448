-- os.execute: no-argument form reports a shell is available; exit statuses of commands
print(os.execute())
print(os.execute("exit 0"))
print(os.execute("exit 7"))
print(os.execute("true"))
