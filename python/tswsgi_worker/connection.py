"""Frame I/O on one request connection from the front end."""

import os
import select

from .framing import HEADER_SIZE, ProtocolError, frame_header, parse_header

# Big enough that a request's R and E frames usually come in with one recv.
_READ_BUFFER = 65536

# The E frame of a request without a body, as the front end sends it right after R.
_BODY_END = frame_header('E', 0)


class ConnectionLost(OSError):
    """Writing to the front end failed; the connection is unusable."""


class FrameReader:
    """Reads frames from the socket through its own buffer.

    Payloads can be read in pieces (read, readline), so wsgi.input streams a
    B frame's bytes from the socket without holding the whole body. The buffer
    is this class's own rather than io.BufferedReader's so that end_is_buffered()
    can look at what has arrived without waiting for more.

    It waits in poll() before each recv: a thread blocked in recv() on a UNIX
    socket is woken each time the front end reads what this side sent (the
    kernel's write-space wake-up does not look at what the waiter waits for),
    which would cost a context switch here and a wake-up paid by the front end
    on every request. A thread blocked in poll(POLLIN) is left asleep.
    """

    def __init__(self, sock):
        self._sock = sock
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)
        self._data = b''  # received bytes; those from _pos on are not consumed yet
        self._pos = 0
        self.broken = False

    def _fail(self, message):
        self.broken = True
        raise ProtocolError(message)

    def _receive(self, size):
        """Wait for bytes and return up to size of them; b'' at EOF."""
        self._poll.poll()
        return self._sock.recv(size)

    def _fill(self, need):
        """Buffer at least need unconsumed bytes; False when EOF comes first."""
        data = self._data[self._pos:]
        self._pos = 0
        while len(data) < need:
            chunk = self._receive(_READ_BUFFER)
            if not chunk:
                self._data = data
                return False
            data += chunk
        self._data = data
        return True

    def read_header(self):
        """Return (type, length) of the next frame, or None at a clean EOF."""
        if len(self._data) - self._pos < HEADER_SIZE and not self._fill(HEADER_SIZE):
            if self._data:
                self._fail('connection closed inside a frame header')
            return None
        try:
            header = parse_header(self._data, self._pos)
        except ProtocolError as exc:
            self._fail(str(exc))
        self._pos += HEADER_SIZE
        return header

    def end_is_buffered(self):
        """Consume the E frame of a request without a body if it has arrived; never waits."""
        pos = self._pos
        if self._data[pos:pos + HEADER_SIZE] != _BODY_END:
            return False
        self._pos = pos + HEADER_SIZE
        return True

    def read(self, size):
        """Exactly size bytes of the current frame."""
        data, pos = self._data, self._pos
        end = pos + size
        if end <= len(data):
            self._pos = end
            return data[pos:end]
        parts = [data[pos:]]
        left = end - len(data)
        self._data, self._pos = b'', 0
        while left:
            # A large read goes to the kernel in one call, not in buffer-sized pieces.
            chunk = self._receive(max(left, _READ_BUFFER))
            if not chunk:
                self._fail('connection closed inside a frame')
            if len(chunk) > left:
                self._data = chunk
                self._pos = left
                chunk = chunk[:left]
            parts.append(chunk)
            left -= len(chunk)
        return b''.join(parts)

    def skip(self, size):
        while size:
            size -= len(self.read(min(size, _READ_BUFFER)))

    def readline(self, limit):
        """Read up to limit bytes, stopping after a newline."""
        while True:
            pos = self._pos
            available = len(self._data) - pos
            newline = self._data.find(b'\n', pos, pos + min(limit, available))
            if newline >= 0:
                return self.read(newline + 1 - pos)
            if available >= limit:
                return self.read(limit)
            if not self._fill(available + 1):
                self._fail('connection closed inside a frame')

    def close(self):
        self._data = b''
        self._pos = 0


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
