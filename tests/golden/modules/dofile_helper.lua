-- helper for base/dofile.lua
helper_global = "set by helper"
return 1, "two", 3
