# The differential tests' application: the same script runs under Apache mod_wsgi
# and under tswsgi, and reports what it sees as JSON so that the two can be compared.
# Stdlib only, and no validator: Apache's own checks are what is being compared.

import json
import os
import sys
import types

# Module-global state: a counter per loaded copy of this script, and a module shared by
# every script loaded into the same interpreter (application group) of one process.
REQUESTS = 0
_shared = sys.modules.get('_difftest_shared')
if _shared is None:
    _shared = sys.modules['_difftest_shared'] = types.ModuleType('_difftest_shared')
    _shared.loads = []
_shared.loads.append(os.path.basename(__file__))


def _module_facts():
    # What the mod_wsgi module that the server puts into this interpreter says.
    try:
        import mod_wsgi
    except ImportError:
        return 'no mod_wsgi module'
    return {name: repr(getattr(mod_wsgi, name, 'missing'))
            for name in ('version', 'process_group', 'application_group', 'maximum_processes', 'threads_per_process')}


def report(environ, start_response, callable_name, extra_headers=()):
    global REQUESTS
    REQUESTS += 1
    data = {
        'callable': callable_name,
        'environ': {k: v for k, v in environ.items() if isinstance(v, str)},
        # The other values by type, and the plain ones (int, bool, tuple) by value too.
        'others': {k: '%s %r' % (type(v).__name__, v) if isinstance(v, (int, tuple)) else type(v).__name__
                   for k, v in environ.items() if not isinstance(v, str)},
        'pid': os.getpid(),
        'wsgi.multithread': environ['wsgi.multithread'],
        'wsgi.multiprocess': environ['wsgi.multiprocess'],
        'wsgi.run_once': environ['wsgi.run_once'],
        'state': {'requests': REQUESTS, 'loads': list(_shared.loads)},
        'module': _module_facts(),
    }
    body = json.dumps(data, sort_keys=True).encode()
    start_response('200 OK', [
        ('Content-Type', 'application/json'),
        ('Content-Length', str(len(body))),
        # HEAD responses have no body: the method the application saw travels in a header.
        ('X-Probe-Method', environ['REQUEST_METHOD']),
    ] + list(extra_headers))
    return [body]


def fixed(environ, start_response):
    # An answer that is the same under both servers, byte for byte, for the access log cases:
    # the status X-Probe-Status asks for, two Set-Cookie headers, a Content-Type with a parameter,
    # the request body echoed, in two pieces; without Content-Length if X-Probe-Length says none.
    body = b'fixed body\n' + environ['wsgi.input'].read()
    headers = [('Content-Type', 'text/plain; charset=utf-8'), ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2'), ('X-Out', 'o1')]
    if environ.get('HTTP_X_PROBE_LENGTH') != 'none':
        headers.append(('Content-Length', str(len(body))))
    start_response(environ.get('HTTP_X_PROBE_STATUS', '200 OK'), headers)
    return [body[:5], body[5:]]


def application(environ, start_response):
    if environ.get('HTTP_X_PROBE') == 'fixed':
        return fixed(environ, start_response)
    if environ.get('HTTP_X_PROBE') == 'typed':
        # The Content-Type X-Probe-Type names, as the server passes it on (AddDefaultCharset).
        start_response('200 OK', [('Content-Type', environ['HTTP_X_PROBE_TYPE']), ('Content-Length', '6')])
        return [b'typed\n']
    if environ.get('HTTP_X_PROBE') == 'log':
        # One error log line, for the ErrorLogFormat case.
        environ['wsgi.errors'].write('logged by the probe\n')
        environ['wsgi.errors'].flush()
        return fixed(environ, start_response)
    if environ.get('HTTP_X_PROBE') == 'redirect':
        start_response('302 Found', [('Location', '/elsewhere'), ('Content-Type', 'text/plain'), ('Content-Length', '0')])
        return [b'']
    if environ.get('HTTP_X_PROBE') == 'big-header':
        # header-buffer-size: daemon mode limits a response header line, embedded mode does not.
        size = int(environ['HTTP_X_PROBE_SIZE'])
        return report(environ, start_response, 'application', [('X-Big', 'x' * size)])
    return report(environ, start_response, 'application')


def alternative(environ, start_response):
    return report(environ, start_response, 'alternative')
