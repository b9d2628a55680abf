# Serves the Django project through mysite.wsgi.application, and says in response headers
# whether that is the very object preload_django.py made at process start.
import os
import sys

import mysite.wsgi


def application(environ, start_response):
    marker = sys.modules.get('tswsgi_django_preload')
    facts = [('X-Pid', str(os.getpid())),
             ('X-Executable', sys.executable),
             ('X-Application-Id', str(id(mysite.wsgi.application))),
             ('X-Preloaded-Application-Id', str(marker.application_id) if marker else 'none'),
             ('X-Preloaded-At', repr(marker.imported_at) if marker else 'none')]

    def start(status, headers, *exc_info):
        return start_response(status, headers + facts, *exc_info)
    return mysite.wsgi.application(environ, start)
