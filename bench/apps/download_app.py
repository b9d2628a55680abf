# Benchmark app: answers every GET with 1 MiB, yielded as 16 pieces of 64 KiB (the same bytes
# object each time), with a Content-Length.
PIECE = b'x' * (64 * 1024)
PIECES = 16


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/octet-stream'),
                              ('Content-Length', str(len(PIECE) * PIECES))])
    for _ in range(PIECES):
        yield PIECE
