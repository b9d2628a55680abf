# A script without the WSGI callable the configuration names.
value = 1
