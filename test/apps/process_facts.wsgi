# Reports the process-level settings WSGIDaemonProcess options give.
import json
import locale
import os
import sys


def application(environ, start_response):
    mask = os.umask(0)
    os.umask(mask)
    body = json.dumps({
        'LANG': os.environ.get('LANG'),
        'LC_ALL': os.environ.get('LC_ALL'),
        'locale': locale.setlocale(locale.LC_ALL),
        'umask': oct(mask),
        'cwd': os.getcwd(),
        'sys_path': sys.path[:3],
        'multiprocess': environ['wsgi.multiprocess'],
        'multithread': environ['wsgi.multithread'],
        'run_once': environ['wsgi.run_once'],
        'argv': sys.argv,
        'pid': os.getpid(),
        'request_thread_policy': os.sched_getscheduler(0) == os.SCHED_BATCH and 'SCHED_BATCH',
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
