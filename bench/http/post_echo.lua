-- wrk script for bench/run-http's JSON echo: every request POSTs the same small JSON
-- body to /echo (the servers decode it and send it back encoded again).
wrk.method = "POST"
wrk.path = "/echo"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":12345,"name":"cube","tags":["lua","erlang","http"],"active":true,' ..
  '"score":98.5,"owner":{"login":"ada","admin":false,"langs":["en","fr"]},"note":null}'
