"""wsgi.input: the request body, streamed from B frames as the app reads it."""

from .framing import ProtocolError

_ERROR = 'tswsgi request data read error: '


class Input:

    def __init__(self, reader):
        self._reader = reader
        self._left = 0        # bytes of the current B frame not read yet
        # E seen: the body is complete. A request without a body has its E frame
        # in the same read as its R frame, so most requests need no more reads.
        self._done = reader.end_is_buffered()
        self._failed = False  # A seen (or the connection broke)

    def _more(self):
        """Make bytes of a B frame available; False at the end of the body."""
        if self._reader is None:
            raise RuntimeError('request object has expired')
        while not self._left:
            if self._done:
                return False
            if self._failed:
                raise OSError(_ERROR + 'Input is already in error state.')
            try:
                header = self._reader.read_header()
                if header is None:
                    self._reader.broken = True
                    raise ProtocolError('connection closed inside the request body')
                type, length = header
                if type == 'B':
                    self._left = length
                elif type == 'E':
                    self._reader.read(length)
                    self._done = True
                elif type == 'A':
                    self._failed = True
                    raise OSError(_ERROR + self._reader.read(length).decode('latin-1'))
                else:
                    self._reader.broken = True
                    raise ProtocolError('%s frame inside a request body' % type)
            except ProtocolError as exc:
                self._failed = True
                raise OSError(_ERROR + str(exc)) from exc
        return True

    def _take(self, size):
        try:
            data = self._reader.read(size)
        except ProtocolError as exc:
            self._failed = True
            raise OSError(_ERROR + str(exc)) from exc
        self._left -= size
        return data

    def read(self, size=-1):
        if size is None or size < 0:
            chunks = []
            while self._more():
                chunks.append(self._take(self._left))
            return b''.join(chunks)
        chunks = []
        while size and self._more():
            data = self._take(min(size, self._left))
            size -= len(data)
            chunks.append(data)
        return b''.join(chunks)

    def readline(self, size=-1):
        if size is None:
            size = -1
        chunks = []
        while size and self._more():
            limit = self._left if size < 0 else min(size, self._left)
            try:
                line = self._reader.readline(limit)
            except ProtocolError as exc:
                self._failed = True
                raise OSError(_ERROR + str(exc)) from exc
            self._left -= len(line)
            chunks.append(line)
            if line.endswith(b'\n'):
                break
            if size > 0:
                size -= len(line)
        return b''.join(chunks)

    def readlines(self, hint=-1):
        if hint is None:
            hint = -1
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self):
        pass

    def finish(self):
        """After the response: skip what the app left unread, up to E or A.

        Returns False when the connection cannot carry another request.
        """
        reader = self._reader
        self._reader = None
        try:
            reader.skip(self._left)
            while not (self._done or self._failed):
                header = reader.read_header()
                if header is None:
                    return False
                type, length = header
                if type not in ('B', 'E', 'A'):
                    reader.broken = True
                    raise ProtocolError('%s frame inside a request body' % type)
                reader.skip(length)
                self._done = type != 'B'
        except ProtocolError:
            return False
        return not reader.broken
