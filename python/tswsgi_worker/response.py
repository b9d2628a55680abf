"""The response side of one request: start_response, write, and the frames.

Behaviour follows mod_wsgi's Adapter_start_response/Adapter_output: headers go
out lazily with the first body bytes, each body chunk is sent at once, the
app's Content-Length caps the body.
"""

from .framing import WHOLE_FRAME_LIMIT, encode_frame, encode_head, frame_header
from .connection import ConnectionLost
from .validate import check_headers, check_status, parse_content_length

_Z = frame_header('Z', 0)

# Largest D frame that sendfile fills in one go.
SENDFILE_PIECE = 16 * 1024 * 1024


class Response:

    def __init__(self, channel):
        self._channel = channel
        self._head_started = None  # the _Head of start_response, until it is sent
        self.head_sent = False
        self._length = None        # the app's Content-Length
        self._output_length = 0    # body bytes the app produced
        self._expired = False

    def start_response(self, status, headers, exc_info=None):
        if self._expired:
            raise RuntimeError('request object has expired')
        if exc_info is not None:
            if not isinstance(exc_info, tuple):
                raise RuntimeError('exception info must be a tuple')
            if self.head_sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.head_sent:
            raise RuntimeError('headers have already been sent')
        key = _key(status, headers)
        head = _heads.get(key) if key is not None else None
        if head is None:
            check_status(status)
            head = _Head(status, check_headers(headers))
            if key is not None:
                _remember(key, head)
        self._head_started = head
        return self.write

    def write(self, data):
        if self._expired:
            raise RuntimeError('request object has expired')
        if not isinstance(data, bytes):
            raise TypeError('byte string value expected, value of type %.200s found'
                            % type(data).__name__)
        try:
            self.output(data)
        except ConnectionLost as exc:
            raise OSError('tswsgi failed to write response data: %s' % exc.strerror) from exc

    def output(self, data):
        """Send one piece of the body at once (with the head, the first time)."""
        parts = [] if self.head_sent else [self._head()]
        self._add_body(data, parts)
        if parts:
            self._channel.send(parts)

    def _add_body(self, data, parts):
        size = len(data)
        if size:
            if self._length is not None:
                room = self._length - self._output_length
                if size > room:
                    # Beyond Content-Length: mod_wsgi drops it silently.
                    data = memoryview(data)[:max(room, 0)]
            self._output_length += size
            if len(data):
                parts.append(frame_header('D', len(data)))
                parts.append(data)

    def send_file(self, fd, offset, size):
        """Send the head, then the file's bytes as D frames by sendfile."""
        head = self._head(default_length=size)
        count = min(size, self._length)
        pending = [head]
        while count:
            piece = min(count, SENDFILE_PIECE)
            pending.append(frame_header('D', piece))
            self._channel.send(pending)
            pending = []
            self._channel.sendfile(fd, offset, piece)
            offset += piece
            count -= piece
        if pending:
            self._channel.send(pending)

    def finish(self, items=()):
        """End the response; items, a body that is complete already, go out in the same send."""
        parts = [] if self.head_sent else [self._head()]
        for data in items:
            self._add_body(data, parts)
        parts.append(_Z)
        self._channel.send(parts)

    def fail(self, message, status=500):
        """Ends the response with an X frame: the status the front end answers with if no head went out, and why."""
        if not self._channel.broken:
            # The message is only logged (at debug): cut to what the front end takes.
            payload = ('%d %s' % (status, message)).encode('latin-1', 'replace')[:WHOLE_FRAME_LIMIT]
            self._channel.send([encode_frame('X', payload)])

    def expire(self):
        self._expired = True

    def _head(self, default_length=None):
        head = self._head_started
        if head is None:
            raise RuntimeError('response has not been started')
        frame = head.frame or head.build()
        self._length = head.length
        if self._length is None and default_length is not None:
            self._length = default_length
            frame = _head_frame(head.status, head.headers + [('Content-Length', str(default_length))])
        self.head_sent = True
        self._head_started = None
        return frame


class _Head:
    """A status and header list that passed start_response's checks, and its H frame once built."""

    __slots__ = ('status', 'headers', 'length', 'frame')

    def __init__(self, status, headers):
        self.status = status
        self.headers = headers
        self.length = None
        self.frame = None

    def build(self):
        """The H frame; raises ValueError for a Content-Length mod_wsgi would refuse."""
        headers = list(self.headers)
        length = None
        for index, (name, value) in enumerate(headers):
            if len(name) == 14 and name.lower() == 'content-length':
                length = parse_content_length(value)
                # Sent normalised, as Apache's ap_set_content_length does.
                headers[index] = (name, str(length))
        frame = _head_frame(self.status, headers)
        # Length first: a thread that sees the frame finds the length set.
        self.length = length
        self.frame = frame
        return frame


def _head_frame(status, headers):
    payload = encode_head(status, headers)
    if len(payload) > WHOLE_FRAME_LIMIT:
        raise ValueError('response headers of %d bytes, over the limit of %d'
                         % (len(payload), WHOLE_FRAME_LIMIT))
    return encode_frame('H', payload)


# Apps send the same few heads over and over (one or two per route), so each distinct
# status and header list is checked and encoded once. Bounded for apps whose headers
# vary per request (cookies, ETags), which then pay one lookup more than before.
_heads = {}
_HEADS_MAX = 256


def _key(status, headers):
    """The cache key of a start_response call, or None when its arguments cannot be one."""
    if type(status) is not str or type(headers) is not list:
        return None  # the checks report what is wrong, or this is a str subclass
    key = (status, *headers)
    try:
        hash(key)
    except TypeError:
        return None  # an unhashable item, which the checks refuse
    return key


def _remember(key, head):
    if len(_heads) >= _HEADS_MAX:
        _heads.clear()
    _heads[key] = head
