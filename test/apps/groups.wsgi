# Reports where it runs (pid, process and application group) and whether the
# import script's marker is visible in this interpreter.
import json
import os
import sys


def application(environ, start_response):
    marker = sys.modules.get('tswsgi_test_marker')
    body = json.dumps({
        'pid': os.getpid(),
        'process_group': environ['mod_wsgi.process_group'],
        'application_group': environ['mod_wsgi.application_group'],
        'marker_id': id(marker.value) if marker else None,
        'created_id': marker.created_id if marker else None,
        'server_name': environ['SERVER_NAME'],
        'app_mode': environ.get('APP_MODE'),
    }).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
