-- helper for base/dofile_traceback.lua: returns a traceback taken inside the chunk
return debug.traceback("inside", 1), debug.getinfo(1, "n").name, debug.getinfo(2, "S").what
