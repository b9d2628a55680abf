"""tswsgi worker: hosts a Python WSGI application behind the tswsgi front end."""
