"""Frames and string blocks of the front end <-> worker protocol (docs/protocol.md).

Sans-IO: pure encode/decode functions, tested against test/vectors/framing.json.
"""

import struct

# One ASCII type letter, then the payload length as unsigned 32-bit big-endian.
_HEADER = struct.Struct('>BI')
HEADER_SIZE = _HEADER.size

TYPES = {ord(letter): letter for letter in 'CRBEAHDZX'}

# Largest H or X payload the front end takes (it buffers them whole); a longer one is a
# protocol error there, so the worker never sends one.
WHOLE_FRAME_LIMIT = 1024 * 1024


class ProtocolError(ValueError):
    """The peer broke the protocol; the connection has to be closed."""


def frame_header(type, length):
    return _HEADER.pack(ord(type), length)


def encode_frame(type, payload):
    return _HEADER.pack(ord(type), len(payload)) + payload


def parse_header(header):
    """Return (type letter, payload length) of a 5-byte frame header."""
    code, length = _HEADER.unpack(header)
    type = TYPES.get(code)
    if type is None:
        raise ProtocolError('unknown frame type %r' % chr(code))
    return type, length


def encode_block(strings):
    if not strings:
        return b''
    return ('\0'.join(strings) + '\0').encode('latin-1')


def decode_block(payload):
    # Latin-1 maps each byte to one code point, so the split is byte exact.
    strings = str(payload, 'latin-1').split('\0')
    # A terminated block ends in NUL, which leaves one empty string at the end.
    if strings.pop() != '':
        raise ValueError('unterminated block')
    return strings


def decode_environ(payload):
    strings = decode_block(payload)
    if len(strings) % 2:
        raise ValueError('odd number of strings')
    it = iter(strings)
    return dict(zip(it, it))


def encode_head(status, headers):
    strings = [status]
    for name, value in headers:
        strings.append(name)
        strings.append(value)
    return encode_block(strings)


def decode_head(payload):
    strings = decode_block(payload)
    if not strings or len(strings) % 2 != 1:
        raise ValueError('malformed response head')
    it = iter(strings[1:])
    return strings[0], list(zip(it, it))


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, get whole frames back."""

    def __init__(self):
        self._buffer = bytearray()

    def feed(self, data):
        buffer = self._buffer
        buffer += data
        frames = []
        pos = 0
        end = len(buffer)
        with memoryview(buffer) as view:
            while pos < end:
                type = TYPES.get(buffer[pos])
                if type is None:
                    raise ProtocolError('unknown frame type %r' % chr(buffer[pos]))
                if end - pos < HEADER_SIZE:
                    break
                length = _HEADER.unpack_from(buffer, pos)[1]
                stop = pos + HEADER_SIZE + length
                if stop > end:
                    break
                frames.append((type, bytes(view[pos + HEADER_SIZE:stop])))
                pos = stop
        del buffer[:pos]
        return frames
