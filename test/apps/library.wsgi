# The library test's application: /echo streams the request body back as it reads it,
# /slow sleeps a little, anything else answers its environ's strings and its pid.

import json
import os
import time


def echo(environ):
    stream = environ['wsgi.input']
    while True:
        piece = stream.read(65536)
        if not piece:
            return
        yield piece


def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/echo':
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return echo(environ)
    if path == '/slow':
        time.sleep(0.2)
    strings = {k: v for k, v in environ.items() if isinstance(v, str)}
    body = json.dumps({'environ': strings, 'pid': os.getpid()}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
