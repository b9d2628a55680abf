# Reports the identity and environment a daemon process runs with.
import json
import os


def application(environ, start_response):
    body = json.dumps({'uid': os.getuid(), 'gid': os.getgid(), 'groups': os.getgroups(),
                       'HOME': os.environ.get('HOME'), 'USER': os.environ.get('USER'), 'cwd': os.getcwd()}).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]
