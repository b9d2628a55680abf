# Reports the interpreter flags and identity WSGIPythonOptimize and User give.
import json
import os
import sys


def application(environ, start_response):
    body = json.dumps({'optimize': sys.flags.optimize, 'uid': os.getuid(),
                       'length': len(environ['wsgi.input'].read())}).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
