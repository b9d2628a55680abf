# For test/differential/connection-level.test.ts: appends "started" to the file X-Marker names
# (when given), sleeps for the seconds the query string names, then reads the whole request
# body and answers its length.
import time


def application(environ, start_response):
    marker = environ.get('HTTP_X_MARKER')
    if marker:
        with open(marker, 'a') as f:
            f.write('started\n')
    seconds = float(environ.get('QUERY_STRING') or 0)
    time.sleep(seconds)
    length = len(environ['wsgi.input'].read())
    body = f'slept {seconds} read {length}\n'.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
