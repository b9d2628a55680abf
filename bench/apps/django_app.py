# Benchmark app: a single-file Django project (Debian's python3-django): settings, one URL and
# its view returning a JsonResponse, then the WSGI application.
import django
from django.conf import settings
from django.http import JsonResponse
from django.urls import path


def index(request):
    return JsonResponse({'message': 'Hello, world!', 'framework': 'django', 'items': [1, 2, 3]})


class URLConf:
    """ROOT_URLCONF: Django takes any object with urlpatterns, so the settings need no other module."""
    urlpatterns = [path('', index)]


if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY='tswsgi-bench-only',
        ALLOWED_HOSTS=['*'],
        ROOT_URLCONF=URLConf,
        INSTALLED_APPS=[],
        MIDDLEWARE=['django.middleware.common.CommonMiddleware'],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after the settings)

application = get_wsgi_application()
