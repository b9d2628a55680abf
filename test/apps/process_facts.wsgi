# Reports the process-level settings WSGIDaemonProcess options give.
import json
import locale
import os
import resource
import sys
import threading


def application(environ, start_response):
    mask = os.umask(0)
    os.umask(mask)
    stack_size = threading.stack_size()  # which also sets it back to the default: put it back
    threading.stack_size(stack_size)
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
        'nice': os.getpriority(os.PRIO_PROCESS, 0),  # of this request thread
        'address_space_limit': resource.getrlimit(resource.RLIMIT_AS),
        'thread_stack_size': stack_size,
        'PYTHON_EGG_CACHE': os.environ.get('PYTHON_EGG_CACHE'),
        'request_thread_policy': os.sched_getscheduler(0) == os.SCHED_BATCH and 'SCHED_BATCH',
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
