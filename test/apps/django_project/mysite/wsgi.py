import os
from wsgiref.validate import validator

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')
# The validator makes any PEP 3333 violation by the server fail the test.
application = validator(get_wsgi_application())
