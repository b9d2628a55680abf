"""One request: the environ, finding the application, running it (Adapter_run)."""

import itertools
import os
import stat
import time

from .connection import ConnectionLost
from . import modwsgi
from .filewrapper import FileWrapper, regular_file
from .loader import LoadError, MissingCallable
from .log import describe, set_remote
from .request_input import Input
from .response import Response

# Bodies given as a list or tuple of at most this many items are complete
# already, so the whole response goes out in one send.
_FEW_ITEMS = 4


class ThreadState:
    """Per serving thread: mod_wsgi.thread_id, mod_wsgi.thread_requests, and whether it is in a request."""

    def __init__(self, thread_id):
        self.thread_id = thread_id
        self.requests = 0
        self.busy = False


class RequestHandler:

    def __init__(self, settings, loader, log, errors):
        self._loader = loader
        self._log = log
        self._errors = errors
        self._total = itertools.count(1)
        # The constant part of every environ; the front end's strings may
        # override wsgi.url_scheme.
        self.base = {
            'wsgi.version': (1, 0),
            'wsgi.multithread': settings.multithread,
            'wsgi.multiprocess': settings.multiprocess,
            'wsgi.run_once': settings.run_once,
            'wsgi.url_scheme': 'http',
            'wsgi.errors': errors,
            'wsgi.file_wrapper': FileWrapper,
            'wsgi.input_terminated': True,
            'mod_wsgi.version': modwsgi.VERSION,
        }

    def base_with(self, strings):
        """The start of each environ after a C frame: base, then the frame's strings."""
        base = self.base.copy()
        base.update(strings)
        return base

    def handle(self, base, fields, reader, channel, thread):
        """Serve one request; False when the connection cannot be used again."""
        start = time.time_ns() // 1000
        environ = base.copy()
        environ.update(fields)
        body = Input(reader)
        environ['wsgi.input'] = body
        environ['mod_wsgi.thread_id'] = thread.thread_id
        environ['mod_wsgi.thread_requests'] = thread.requests
        environ['mod_wsgi.total_requests'] = next(self._total)
        environ['mod_wsgi.script_start'] = str(start)
        thread.requests += 1
        set_remote(fields)
        response = Response(channel)
        try:
            self._respond(environ, response)
        except ConnectionLost:
            self._log.debug('mod_wsgi (pid=%d): Front end closed connection.' % os.getpid())
        finally:
            response.expire()
            self._errors.flush()
            set_remote(None)
        return body.finish() and not channel.broken

    def _respond(self, environ, response):
        module = environ.get('tswsgi.entry_module')
        script = module or environ.get('SCRIPT_FILENAME', '')
        group = environ.get('mod_wsgi.application_group', '')
        # A script that is loaded already was found by the front end a moment ago (its stats
        # are at most a second old): only a first load looks at the file here.
        if module is None and not self._loader.loaded(script, group):
            try:
                info = os.stat(script)
            except (OSError, ValueError):
                self._log.error('Target WSGI script not found or unable to stat: %s' % script)
                response.fail('script not found', 404)
                return
            if stat.S_ISDIR(info.st_mode):
                self._log.error('Attempt to invoke directory as WSGI application: %s' % script)
                response.fail('script is a directory', 403)
                return
        try:
            app = self._loader.application(
                script, group, environ.get('mod_wsgi.callable_object', 'application'), module is not None)
        except MissingCallable as exc:
            # mod_wsgi: 404 in embedded mode (%{GLOBAL} pool), 500 in a daemon process group.
            response.fail(str(exc), 404 if environ.get('mod_wsgi.process_group', '') == '' else 500)
            return
        except LoadError as exc:
            response.fail(str(exc))
            return
        self._run(app, environ, response, script)

    def _run(self, app, environ, response, script):
        result = None
        try:
            result = app(environ, response.start_response)
            self._output(result, response)
        except ConnectionLost:
            raise
        except (Exception, SystemExit) as exc:
            self._log.script_exception(script, exc)
            response.fail(describe(exc))
        finally:
            # A list or tuple has no close(); looking it up would build an AttributeError.
            close = None if type(result) in (list, tuple) else getattr(result, 'close', None)
            if close is not None:
                try:
                    close()
                except (Exception, SystemExit) as exc:
                    self._log.script_exception(script, exc)

    def _output(self, result, response):
        if isinstance(result, FileWrapper) and not response.head_sent:
            found = regular_file(result)
            if found is not None:
                response.send_file(*found)
                response.finish()
                return
        if type(result) in (list, tuple) and len(result) <= _FEW_ITEMS:
            for item in result:
                _check_item(item)
            response.finish(result)
            return
        for item in result:
            _check_item(item)
            if item:
                response.output(item)
        response.finish()


def _check_item(item):
    if not isinstance(item, bytes):
        raise TypeError('sequence of byte string values expected, '
                        'value of type %.200s found' % type(item).__name__)
