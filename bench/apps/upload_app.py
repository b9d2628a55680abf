# Benchmark app: reads the whole request body, 64 KiB at a time (never all of it at once), and
# answers its length; 400 when the body is shorter than its Content-Length.
CHUNK = 64 * 1024


def application(environ, start_response):
    expected = int(environ.get('CONTENT_LENGTH') or 0)
    stream = environ['wsgi.input']
    received = 0
    while received < expected:
        chunk = stream.read(min(CHUNK, expected - received))
        if not chunk:
            break
        received += len(chunk)
    body = f'{received}\n'.encode()
    start_response('200 OK' if received == expected else '400 Bad Request',
                   [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
