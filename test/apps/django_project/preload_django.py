# WSGIImportScript for the Django project: imports its wsgi module (settings and the
# application object) when the process starts, and leaves a marker saying which
# application object it made and when.
import sys
import time
import types

import mysite.wsgi

marker = types.ModuleType('tswsgi_django_preload')
marker.application_id = id(mysite.wsgi.application)
marker.imported_at = time.time()
sys.modules['tswsgi_django_preload'] = marker
