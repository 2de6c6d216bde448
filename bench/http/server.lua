-- The hello-world server of bench/run-http: one route, a fixed body.
local srv = http.server{listen = ... or "127.0.0.1:0", handler = function(req)
  return {headers = {["Content-Type"] = "text/plain"}, body = "Hello, world!"}
end}
print(srv:port())
io.stdout:flush()
process.receive()
