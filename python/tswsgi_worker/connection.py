"""Frame I/O on one request connection from the front end."""

import io
import os
import select

from .framing import HEADER_SIZE, ProtocolError, frame_header, parse_header

# Big enough that a request's R and E frames usually come in with one recv.
_READ_BUFFER = 65536

# The E frame of a request without a body, as the front end sends it right after R.
_BODY_END = frame_header('E', 0)


class ConnectionLost(OSError):
    """Writing to the front end failed; the connection is unusable."""


class _PolledSocket(io.RawIOBase):
    """The socket as a raw stream that waits in poll() before each recv, and counts what it delivered.

    A thread blocked in recv() on a UNIX socket is woken each time the front end
    reads what this side sent: the kernel's write-space wake-up does not look at
    what the waiter waits for. A thread blocked in poll(POLLIN) is left asleep.
    Each such spurious wake-up costs a context switch here and a wake-up paid by
    the front end, on every request.
    """

    def __init__(self, sock):
        self._sock = sock
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)
        self.delivered = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self._poll.poll()
        count = self._sock.recv_into(buffer)
        self.delivered += count
        return count


class FrameReader:
    """Reads frames from the socket through a buffered reader.

    Payloads can be read in pieces (read, readline), so wsgi.input streams a
    B frame's bytes straight from the socket buffer without holding the body.
    It counts what it consumed, so that it knows how much the buffer holds
    (end_is_buffered) without a read that could wait.
    """

    def __init__(self, sock):
        self._raw = _PolledSocket(sock)
        self._file = io.BufferedReader(self._raw, _READ_BUFFER)
        self._consumed = 0
        self.broken = False

    def _fail(self, message):
        self.broken = True
        raise ProtocolError(message)

    def _read(self, size):
        data = self._file.read(size)
        self._consumed += len(data)
        return data

    def read_header(self):
        """Return (type, length) of the next frame, or None at a clean EOF."""
        header = self._read(HEADER_SIZE)
        if len(header) == HEADER_SIZE:
            try:
                return parse_header(header)
            except ProtocolError as exc:
                self._fail(str(exc))
        if header:
            self._fail('connection closed inside a frame header')
        return None

    def end_is_buffered(self):
        """Consume the E frame of a request without a body if it has arrived; never waits."""
        # peek() reads from the socket only when the buffer is empty; it is not here.
        if self._raw.delivered - self._consumed < HEADER_SIZE:
            return False
        if self._file.peek(HEADER_SIZE)[:HEADER_SIZE] != _BODY_END:
            return False
        self._read(HEADER_SIZE)
        return True

    def read(self, size):
        """Exactly size bytes of the current frame."""
        data = self._read(size)
        if len(data) != size:
            self._fail('connection closed inside a frame')
        return data

    def skip(self, size):
        while size:
            size -= len(self.read(min(size, _READ_BUFFER)))

    def readline(self, limit):
        """Read up to limit bytes, stopping after a newline."""
        line = self._file.readline(limit)
        self._consumed += len(line)
        if len(line) < limit and not line.endswith(b'\n'):
            self._fail('connection closed inside a frame')
        return line

    def close(self):
        self._file.close()


class Channel:
    """Sends frames; each call is one sendmsg so small responses are one syscall."""

    def __init__(self, sock):
        self._sock = sock
        self.broken = False

    def send(self, parts):
        try:
            _sendv(self._sock, parts)
        except OSError as exc:
            self.broken = True
            raise ConnectionLost(exc.errno, exc.strerror) from exc

    def sendfile(self, fd, offset, count):
        """Send count bytes of the file at offset; the kernel copies them."""
        sockfd = self._sock.fileno()
        try:
            while count:
                sent = os.sendfile(sockfd, fd, offset, count)
                if sent == 0:
                    # The file shrank under us: the D frame can no longer be
                    # completed, so the connection must go.
                    raise OSError(0, 'file ended before the promised length')
                offset += sent
                count -= sent
        except OSError as exc:
            self.broken = True
            raise ConnectionLost(exc.errno, exc.strerror) from exc


def _sendv(sock, parts):
    total = sum(map(len, parts))
    sent = sock.sendmsg(parts)
    while sent < total:
        # A partial send: drop what went out and send the rest.
        total -= sent
        rest = []
        for part in parts:
            if sent >= len(part):
                sent -= len(part)
                continue
            rest.append(memoryview(part)[sent:] if sent else part)
            sent = 0
        parts = rest
        sent = sock.sendmsg(parts)
