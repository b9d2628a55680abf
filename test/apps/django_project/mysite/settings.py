# A minimal Django project (Debian's python3-django) for tswsgi's tests.
SECRET_KEY = 'tswsgi-test-only'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
ROOT_URLCONF = 'mysite.urls'
INSTALLED_APPS = []
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
DATABASES = {}
USE_TZ = True
