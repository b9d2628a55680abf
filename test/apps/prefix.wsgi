# Reports which Python runs it.
import json
import sys


def application(environ, start_response):
    body = json.dumps({'prefix': sys.prefix, 'executable': sys.executable, 'version': sys.version.split()[0]}).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
