# Records every load of a copy of this file in its interpreter: which file, in which
# process and thread, when. The tests copy it under several names and use the copies as
# import scripts and as WSGI scripts; the WSGI callable answers with the records.
import json
import os
import sys
import threading
import time
import types

NAME = os.path.basename(__file__)
records = sys.modules.setdefault('tswsgi_test_loads', types.ModuleType('tswsgi_test_loads'))
records.__dict__.setdefault('loads', [])
records.loads.append({'file': NAME, 'pid': os.getpid(), 'at': time.time(),
                      'main_thread': threading.current_thread() is threading.main_thread()})

# A copy named flaky*: its first load fails (a flag file beside it says that happened).
if NAME.startswith('flaky'):
    flag = os.path.join(os.path.dirname(__file__), NAME + '.failed-once')
    if not os.path.exists(flag):
        open(flag, 'w').close()
        raise RuntimeError('this script fails the first time it is loaded')


def application(environ, start_response):
    body = json.dumps({
        'pid': os.getpid(),
        'process_group': environ['mod_wsgi.process_group'],
        'application_group': environ['mod_wsgi.application_group'],
        'loads': records.loads,
        'marker': 'tswsgi_test_marker' in sys.modules,
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
