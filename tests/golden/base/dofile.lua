-- dofile runs a file and returns its results; errors propagate; missing file message
print(dofile("tests/golden/modules/dofile_helper.lua"))
print(helper_global)
print(pcall(dofile, "tests/golden/modules/does_not_exist.lua"))
print(pcall(dofile, "tests/golden/modules/dofile_error.lua"))
