# For the restart tests: reports the process and whether the preload is here;
# /sleep?SECONDS holds the request, /grow keeps 64 MB alive (memory-limit),
# /burn?SECONDS spends that much CPU (cpu-time-limit), /hold-gil never lets the GIL go
# (deadlock-timeout: the regular expression engine keeps it while it backtracks, 2**40 ways),
# /big answers 32 MiB in 256 KiB pieces (more than the sockets on the way hold).
# A request with an X-Started-Dir header leaves a file there as it begins, for a test to wait on
# (startedRequests() in test/helpers/tswsgi.ts).
import json
import os
import re
import sys
import tempfile
import time

_kept = []


_PIECE = b'x' * (256 * 1024)


def application(environ, start_response):
    started = environ.get('HTTP_X_STARTED_DIR')
    if started:
        os.close(tempfile.mkstemp(dir=started)[0])
    path = environ.get('PATH_INFO', '')
    if path == '/big':
        start_response('200 OK', [('Content-Type', 'application/octet-stream'),
                                  ('Content-Length', str(128 * len(_PIECE)))])
        return (_PIECE for _ in range(128))
    if path == '/sleep':
        time.sleep(float(environ.get('QUERY_STRING') or '1'))
    elif path == '/burn':
        end = time.process_time() + float(environ.get('QUERY_STRING') or '1')
        while time.process_time() < end:
            pass
    elif path == '/hold-gil':
        re.match(r'(a+)+$', 'a' * 40 + 'b')
    elif path == '/grow':
        _kept.append(bytearray(64 * 1024 * 1024))
    marker = sys.modules.get('tswsgi_test_marker')
    body = json.dumps({
        'pid': os.getpid(),
        'preloaded': bool(marker and id(marker.value) == marker.created_id),
        'version': os.environ.get('APP_VERSION', ''),
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
