"""The same hello-world server on Tornado (bench/run-http): prints its port."""
import asyncio
import sys

import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("Hello, world!")


async def main():
    app = tornado.web.Application([(r"/.*", Hello)])
    server = app.listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
