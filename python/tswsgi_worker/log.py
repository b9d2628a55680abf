"""The worker's error log: Apache error-log lines on stderr (fd 2).

The front end copies these lines into its own error log, so they must already
look like Apache's: [time] [wsgi:level] [pid P:tid T] [remote ip:port] message.
A line logged for a request is led by its id between \x1f marks, which the front
end takes off: it writes the line to the request's vhost's ErrorLog, and with
the request's fields when an ErrorLogFormat asks for them.
"""

import io
import os
import select
import threading
import time
import traceback

LEVELS = {
    'emerg': 0, 'alert': 1, 'crit': 2, 'error': 3,
    'warn': 4, 'notice': 5, 'info': 6, 'debug': 7,
}


# Apache's trace1..trace8 are finer than debug; the worker has nothing finer.
_TRACE = frozenset('trace%d' % n for n in range(1, 9))


def level_number(name):
    name = name.strip().lower()
    if name in _TRACE:
        return LEVELS['debug']
    if name not in LEVELS:
        raise ValueError('unknown log level %r' % name)
    return LEVELS[name]


# Writes up to this size are atomic on a pipe (POSIX); 4096 on Linux.
PIPE_BUF = getattr(select, 'PIPE_BUF', 512)

# Frames of the worker itself are left out of tracebacks: mod_wsgi is C, so
# its tracebacks show only the app's frames.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# The environ strings of the request this thread is serving, for [remote ip:port].
_request = threading.local()


def set_remote(fields):
    """The request's environ strings (None after it): formatted only when a line is logged."""
    _request.remote = fields


def errno_prefix(exc):
    """Apache's "(2)No such file or directory: " prefix for an OSError."""
    if isinstance(exc, OSError) and exc.errno:
        return '(%d)%s: ' % (exc.errno, os.strerror(exc.errno))
    return ''


def describe(exc):
    """One line naming an exception, as the last line of its traceback."""
    return traceback.format_exception_only(type(exc), exc)[-1].rstrip('\n')


class ErrorLog:

    def __init__(self, level='warn', fd=2):
        self.threshold = level_number(level)
        self._fd = fd
        # Reentrant: the stack dump's signal handler may log while its thread holds it.
        self._lock = threading.RLock()
        self._pid = os.getpid()

    def log(self, level, message):
        if LEVELS[level] > self.threshold:
            return
        seconds, micros = divmod(time.time_ns() // 1000, 1000000)
        # Apache's format: [Wed Nov 25 19:42:14.123456 2026], local time.
        stamp = time.strftime('%a %b %d %H:%M:%S.%%06d %Y', time.localtime(seconds)) % micros
        prefix = '[%s] [wsgi:%s] [pid %d:tid %d] ' % (
            stamp, level, self._pid, threading.get_ident())
        remote = getattr(_request, 'remote', None)
        if remote and 'REMOTE_ADDR' in remote:
            prefix += '[remote %s:%s] ' % (remote['REMOTE_ADDR'], remote.get('REMOTE_PORT', ''))
        if remote and 'mod_wsgi.request_id' in remote:
            prefix = '\x1f%s\x1f%s' % (remote['mod_wsgi.request_id'], prefix)
        # One record per line, as mod_wsgi logs tracebacks line by line.
        lines = [(prefix + line + '\n').encode('utf-8', 'backslashreplace')
                 for line in message.split('\n')]
        # Each interpreter of the process has its own ErrorLog (and lock) on
        # fd 2: whole lines in writes of at most PIPE_BUF bytes are never
        # torn by another interpreter's writes. A longer line goes alone.
        with self._lock:
            chunk = []
            size = 0
            for data in lines:
                if chunk and size + len(data) > PIPE_BUF:
                    self._write(b''.join(chunk))
                    chunk = []
                    size = 0
                chunk.append(data)
                size += len(data)
            self._write(b''.join(chunk))

    def _write(self, data):
        while data:
            data = data[os.write(self._fd, data):]

    def error(self, message):
        self.log('error', message)

    def info(self, message):
        self.log('info', message)

    def debug(self, message):
        self.log('debug', message)

    def script_exception(self, script, exc):
        """mod_wsgi's report of an exception from a WSGI script, with traceback."""
        if isinstance(exc, SystemExit):
            head = "SystemExit exception raised by WSGI script '%s' ignored." % script
        else:
            head = "Exception occurred processing WSGI script '%s'." % script
        report = traceback.TracebackException(type(exc), exc, exc.__traceback__)
        report.stack = traceback.StackSummary.from_list(
            [frame for frame in report.stack if not frame.filename.startswith(_PACKAGE_DIR)])
        text = ''.join(report.format())
        self.log('error', 'mod_wsgi (pid=%d): %s\n%s' % (self._pid, head, text.rstrip('\n')))


class LogStream(io.TextIOBase):
    """Text stream for wsgi.errors, sys.stdout and sys.stderr of the app.

    Each complete line becomes one error-level record (as in mod_wsgi). The
    partial line is kept per thread so that concurrent requests do not mix.
    """

    def __init__(self, log, name):
        self._log = log
        self._name = name
        self._pending = threading.local()

    @property
    def name(self):
        return self._name

    @property
    def encoding(self):
        return 'utf-8'

    @property
    def errors(self):
        return 'backslashreplace'

    line_buffering = True

    def writable(self):
        return True

    def write(self, text):
        if self.closed:
            raise ValueError('I/O operation on closed file.')
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not %s' % type(text).__name__)
        lines = (getattr(self._pending, 'text', '') + text).split('\n')
        self._pending.text = lines.pop()
        if lines:
            self._log.log('error', '\n'.join(lines))
        return len(text)

    def flush(self):
        text = getattr(self._pending, 'text', '')
        if text:
            self._pending.text = ''
            self._log.log('error', text)
