# An application served by module name (callable 'entry_module:app', start-server's
# --application-type module): it says under which name Python imported it.

import json
import sys


def app(environ, start_response):
    strings = {k: v for k, v in environ.items() if isinstance(v, str)}
    body = json.dumps({'name': __name__, 'in_sys_modules': sys.modules.get(__name__) is sys.modules[app.__module__],
                       'environ': strings}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
