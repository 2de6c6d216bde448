"""The same server on Tornado (bench/run-http): GET answers "Hello, world!", POST /echo
decodes the JSON body and encodes it again (Python's json module). Prints its port.

usage: server_tornado.py [IDLE_TIMEOUT_S]
"""
import asyncio
import json
import sys

import tornado.httpserver
import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("Hello, world!")


class Echo(tornado.web.RequestHandler):
    def post(self):
        try:
            value = json.loads(self.request.body)
        except ValueError as e:
            self.set_status(400)
            self.write(str(e))
            return
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(value, separators=(",", ":")))


async def main():
    app = tornado.web.Application([(r"/echo", Echo), (r"/.*", Hello)])
    kw = {}
    if len(sys.argv) > 1:
        kw["idle_connection_timeout"] = float(sys.argv[1])
    server = tornado.httpserver.HTTPServer(app, **kw)
    server.listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
