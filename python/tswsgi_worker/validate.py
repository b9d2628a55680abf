"""start_response argument checks, with mod_wsgi's exception types and texts.

mod_wsgi (wsgi_convert.c, wsgi_validate.c) converts the status and headers to
latin-1 bytes and checks them; the messages below are its messages, so the
error log reads the same. Two checks are ours: NUL in a value (the wire uses
it as separator) and ':' in a name (the front end could not send it).
"""

import re

_DIGITS = frozenset('0123456789')
_CONTROL = re.compile('[\x00-\x1f\x7f]')
_BAD_NAME = re.compile('[\x00-\x20\x7f:]')
_BAD_VALUE = re.compile('[\r\n\x00]')


def _latin1(value):
    if not isinstance(value, str):
        raise TypeError('expected unicode object, value of type %.200s found'
                        % type(value).__name__)
    if not value.isascii():
        try:
            value.encode('latin-1')
        except UnicodeEncodeError:
            raise ValueError('unicode object contains non latin-1 characters') from None
    return value


def check_status(status):
    _latin1(status)
    if (len(status) < 3 or not _DIGITS.issuperset(status[:3])
            or status[3:4] in _DIGITS):
        raise ValueError('status code is not a 3 digit integer')
    if status[3:4] != ' ':
        raise ValueError('no space following status code')
    if _CONTROL.search(status, 3):
        raise ValueError('control character present in reason phrase')


def check_headers(headers):
    """Return a validated copy of the header list, as a list of 2-tuples."""
    if not isinstance(headers, list):
        raise TypeError('start_response() argument 2 must be list, not %s'
                        % type(headers).__name__)
    checked = []
    for header in headers:
        if not isinstance(header, tuple):
            raise TypeError('list of tuple values expected for headers, '
                            'value of type %.200s found' % type(header).__name__)
        if len(header) != 2:
            raise ValueError('tuple of length 2 expected for header, length is %d'
                             % len(header))
        name, value = header
        # The usual header is two ASCII strings: one type test and one isascii each.
        if type(name) is not str or not name.isascii():
            _latin1(name)
        if not name:
            raise ValueError('header name is empty')
        bad = _BAD_NAME.search(name)
        if bad:
            if bad.group() == ' ':
                raise ValueError('space character present in header name')
            if bad.group() == ':':
                raise ValueError('colon character present in header name')
            raise ValueError('control character present in header name')
        if type(value) is not str or not value.isascii():
            _latin1(value)
        bad = _BAD_VALUE.search(value)
        if bad:
            if bad.group() == '\x00':
                raise ValueError('null character present in header value')
            raise ValueError('carriage return/line feed character present in header value')
        checked.append((name, value))
    return checked


def parse_content_length(value):
    """Content-Length as mod_wsgi reads it (strtol, whole string, not negative)."""
    text = value.lstrip(' \t\n\v\f\r')
    digits = text[1:] if text[:1] in ('+', '-') else text
    if not digits or not _DIGITS.issuperset(digits):
        raise ValueError('invalid content length')
    length = int(text)
    if length < 0:
        raise ValueError('invalid content length')
    return length
