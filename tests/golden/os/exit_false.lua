-- os.exit(true) is success and os.exit(false) is failure (status 1); here false
print("exiting with false")
os.exit(false)
