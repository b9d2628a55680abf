# The test suite's application: the X-Probe request header picks what it does.
# Wrapped in wsgiref.validate.validator, so a PEP 3333 violation by tswsgi fails the test.

import hashlib
import json
import os
import threading
import time
from wsgiref.validate import validator

CHUNK = 65536


def environ_dump(environ):
    strings = {k: v for k, v in environ.items() if isinstance(v, str)}
    types = {k: type(v).__name__ for k, v in environ.items()}
    body = b''
    if environ.get('CONTENT_LENGTH') or environ.get('HTTP_TRANSFER_ENCODING'):
        while True:
            piece = environ['wsgi.input'].read(CHUNK)
            if not piece:
                break
            body += piece
    return {
        'environ': strings,
        'types': types,
        'wsgi.version': list(environ['wsgi.version']),
        'wsgi.multithread': environ['wsgi.multithread'],
        'wsgi.multiprocess': environ['wsgi.multiprocess'],
        'wsgi.run_once': environ['wsgi.run_once'],
        'wsgi.input_terminated': environ.get('wsgi.input_terminated'),
        'mod_wsgi.thread_id': environ.get('mod_wsgi.thread_id'),
        'body': body.decode('latin-1'),
        'pid': os.getpid(),
    }


def upload(environ):
    digest = hashlib.sha256()
    total = 0
    while True:
        piece = environ['wsgi.input'].read(CHUNK)
        if not piece:
            break
        total += len(piece)
        digest.update(piece)
    return {'length': total, 'sha256': digest.hexdigest()}


def download(total):
    piece = b'x' * (1024 * 1024)
    sent = 0
    while sent < total:
        n = min(len(piece), total - sent)
        yield piece[:n]
        sent += n


def json_response(start_response, data, status='200 OK'):
    body = json.dumps(data).encode()
    start_response(status, [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


def app(environ, start_response):
    probe = environ.get('HTTP_X_PROBE', 'environ')
    if probe == 'environ':
        return json_response(start_response, environ_dump(environ))
    if probe == 'slow':
        started = time.time()
        time.sleep(float(environ.get('HTTP_X_SLEEP', '1')))
        return json_response(start_response, {'pid': os.getpid(), 'thread': threading.get_ident(),
                                               'started': started, 'ended': time.time()})
    if probe == 'upload':
        return json_response(start_response, upload(environ))
    if probe == 'download':
        total = int(environ['HTTP_X_BYTES'])
        start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('Content-Length', str(total))])
        return download(total)
    if probe == 'stream':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (b'%d\n' % i for i in range(int(environ.get('HTTP_X_COUNT', '3'))) if time.sleep(0.2) is None)
    if probe == 'upload-until-error':
        # Says it is reading, reads until wsgi.input fails, then records how it failed for the test to read.
        marker = environ['HTTP_X_MARKER']
        with open(marker, 'w') as f:
            f.write('reading')
        total = 0
        try:
            while True:
                piece = environ['wsgi.input'].read(CHUNK)
                if not piece:
                    break
                total += len(piece)
            outcome = 'eof after %d' % total
        except OSError as err:
            outcome = 'error after %d: %s' % (total, err)
        with open(marker, 'w') as f:
            f.write(outcome)
        return json_response(start_response, {'outcome': outcome})
    return json_response(start_response, {'error': 'unknown probe ' + probe}, '400 Bad Request')


application = validator(app)
