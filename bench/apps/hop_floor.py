"""The Python half of the hop floor (bench/hop-floor.ts): no WSGI, only the hop.

Listens on the UNIX socket given as argv[1]; each connection gets a thread that,
like a tswsgi worker thread, waits in poll(), reads one length-prefixed request
and answers with a canned response of the size of hello's H, D and Z frames.
Its threads run under SCHED_BATCH, as tswsgi's workers do.
"""

import os
import select
import socket
import struct
import sys
import threading

_LENGTH = struct.Struct('>I')
_RESPONSE = b'x' * 96


def serve(conn):
    poll = select.poll()
    poll.register(conn, select.POLLIN)
    pending = b''
    while True:
        poll.poll()
        data = conn.recv(65536)
        if not data:
            return
        pending += data
        while len(pending) >= 4 and len(pending) >= 4 + _LENGTH.unpack_from(pending)[0]:
            pending = pending[4 + _LENGTH.unpack_from(pending)[0]:]
            conn.sendall(_LENGTH.pack(len(_RESPONSE)) + _RESPONSE)


def main(path):
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(64)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == '__main__':
    main(sys.argv[1])
