# Responses that exercise PEP 3333 and mod_wsgi's rules, picked by the X-Case header.
# The cases that follow the rules run inside wsgiref's validator, so a PEP 3333
# violation by tswsgi fails them; the others break the rules on purpose, and
# file-wrapper must reach the server unwrapped to take the sendfile path.

import os
import sys
import time
from wsgiref.validate import validator


def app(environ, start_response):
    case = environ.get('HTTP_X_CASE', '')
    marker = environ.get('HTTP_X_MARKER')

    if case == 'bad-status':
        start_response('200', [('Content-Type', 'text/plain')])
        return [b'never']
    if case == 'crlf-header':
        start_response('200 OK', [('X-Bad', 'a\r\nInjected: yes')])
        return [b'never']
    if case == 'str-body':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return ['text is not bytes']
    if case == 'raise-before':
        raise ValueError('raised before start_response')
    if case == 'raise-after':
        def body():
            yield b'first part\n'
            raise RuntimeError('raised after the first chunk')
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return body()
    if case == 'no-start-response':
        return [b'nobody called start_response']
    if case == 'short-body':
        start_response('200 OK', [('Content-Length', '10')])
        return [b'abc']
    if case == 'long-body':
        start_response('200 OK', [('Content-Length', '3')])
        return [b'abcdef']
    if case == 'write-callable':
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'written, ')
        return [b'then returned']
    if case == 'streaming':
        def slow():
            for i in range(3):
                yield b'chunk %d\n' % i
                time.sleep(0.4)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return slow()
    if case == 'close-tracking':
        class Body:
            def __iter__(self):
                yield b'tracked'

            def close(self):
                with open(marker, 'a') as f:
                    f.write('closed\n')
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body()
    if case == 'exc-info':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        try:
            raise KeyError('replaced')
        except KeyError:
            start_response('500 Replaced Error', [('Content-Type', 'text/plain')], sys.exc_info())
        return [b'error page']
    if case == 'file-wrapper':
        path = environ['HTTP_X_FILE']
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return environ['wsgi.file_wrapper'](open(path, 'rb'), 65536)
    if case == 'odd-status':
        start_response('599 Weird Thing', [('Content-Type', 'text/plain')])
        return [b'odd']
    if case == 'not-modified':
        # Headers about a body that a 304 does not have (wsgiref's validator would refuse them).
        start_response('304 Not Modified', [('Content-Type', 'text/plain'), ('Content-Length', '3'), ('ETag', '"v1"')])
        return [b'']
    if case == 'duplicate-headers':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2'), ('X-Dup', '1'), ('X-Dup', '2')])
        return [b'dup']
    if case == 'print':
        print('printed to stdout by the app')
        environ['wsgi.errors'].write('written to wsgi.errors\n')
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'logged']
    if case == 'crash':
        os._exit(3)
    if case == 'pid':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [str(os.getpid()).encode()]
    if case == 'sleep':
        time.sleep(float(environ.get('HTTP_X_SLEEP', '1')))
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [str(os.getpid()).encode()]
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'unknown case']


UNVALIDATED = {'bad-status', 'crlf-header', 'str-body', 'raise-before', 'raise-after',
               'no-start-response', 'short-body', 'long-body', 'exc-info', 'file-wrapper', 'crash', 'not-modified'}
validated = validator(app)


def application(environ, start_response):
    if environ.get('HTTP_X_CASE', '') in UNVALIDATED:
        return app(environ, start_response)
    return validated(environ, start_response)
