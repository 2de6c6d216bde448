"""A Python client of examples/zmq_service.lua (pip install pyzmq)."""
import sys
import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5570"
ctx = zmq.Context()
req = ctx.socket(zmq.REQ)
req.RCVTIMEO = 5000
req.connect(endpoint)

for request in ([b"add", b"2", b"40"], [b"upper", b"hello from python"], [b"nope"]):
    req.send_multipart(request)
    status, value, worker = req.recv_multipart()
    print(status.decode(), value.decode(), "(" + worker.decode() + ")")

if "--stop" in sys.argv:
    req.send_multipart([b"stop"])
    print(req.recv_multipart()[1].decode())
