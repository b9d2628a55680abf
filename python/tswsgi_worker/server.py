"""The request socket and the serving threads.

Each of the `threads` threads accepts one connection from the front end and
serves its requests one after another; a connection is a thread.
"""

import os
import socket
import threading
import time

from .connection import Channel, FrameReader
from .framing import ProtocolError, decode_environ
from .request import ThreadState


class Server:

    def __init__(self, settings, handler, log):
        self._settings = settings
        self._handler = handler
        self._log = log
        self._sock = None
        self._inode = None
        self._stopping = False
        self._threads = []  # ThreadState of each serving thread

    def listen(self):
        path = self._settings.socket
        try:
            os.unlink(path)  # left over from a process that died
        except FileNotFoundError:
            pass
        settings = self._settings
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Accepted connections inherit the buffer sizes (WSGIDaemonProcess send-/receive-buffer-size).
        if settings.send_buffer_size is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.send_buffer_size)
        if settings.receive_buffer_size is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, settings.receive_buffer_size)
        sock.bind(path)
        backlog = settings.listen_backlog
        sock.listen(max(settings.threads, 128) if backlog is None else backlog)
        self._inode = os.stat(path).st_ino
        self._sock = sock

    def start(self):
        for number in range(1, self._settings.threads + 1):
            state = ThreadState(number)
            self._threads.append(state)
            thread = threading.Thread(target=self._accept_loop, args=(state,),
                                      name='tswsgi-%d' % number, daemon=True)
            thread.start()

    def stop(self, timeout):
        """Stop accepting, then wait up to timeout for requests in progress."""
        self._stopping = True
        try:
            # shutdown() wakes the threads blocked in accept(); close() would not.
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._unlink()
        # Polled: a lock taken twice per request would cost every request for the sake of this one wait.
        deadline = time.monotonic() + timeout
        while any(state.busy for state in self._threads) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _unlink(self):
        # Only our own socket: a replacement process may have bound the path.
        path = self._settings.socket
        try:
            if os.stat(path).st_ino == self._inode:
                os.unlink(path)
        except OSError:
            pass

    def _accept_loop(self, thread):
        while not self._stopping:
            try:
                conn, _ = self._sock.accept()
            except OSError as exc:
                if self._stopping:
                    return
                self._log.error('Failed to accept a front end connection: %s' % exc)
                time.sleep(0.1)  # e.g. out of descriptors: do not spin
                continue
            try:
                self._serve(conn, thread)
            except ProtocolError as exc:
                self._log.error('Protocol error on a front end connection, '
                                'closing it: %s' % exc)
            except Exception as exc:
                self._log.error('Closing a front end connection after an '
                                'internal error: %s' % exc)
            finally:
                conn.close()

    def _serve(self, conn, thread):
        reader = FrameReader(conn)
        channel = Channel(conn)
        # The environ's start for each request: the handler's Python objects, and the
        # strings of the connection's last C frame.
        base = self._handler.base
        try:
            while not self._stopping:
                header = reader.read_header()
                if header is None:
                    return
                type, length = header
                if type == 'C':
                    base = self._handler.base_with(_environ_strings(reader.read(length)))
                    continue
                if type != 'R':
                    raise ProtocolError('%s frame where a request should start' % type)
                fields = _environ_strings(reader.read(length))
                thread.busy = True
                try:
                    if not self._handler.handle(base, fields, reader, channel, thread):
                        return
                finally:
                    thread.busy = False
        finally:
            reader.close()


def _environ_strings(payload):
    try:
        return decode_environ(payload)
    except ValueError as exc:
        raise ProtocolError('bad environ block: %s' % exc) from None
