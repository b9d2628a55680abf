# The smallest WSGI application: `npx tswsgi start-server examples/hello.wsgi`


def application(environ, start_response):
    body = b'Hello, world!\n'
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
