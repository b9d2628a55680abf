"""One application group in the current interpreter: the interpreter's Python
setup, its import scripts, and the server on its socket.

The main interpreter (main.py) and each sub-interpreter (subinterpreter.py)
build the same objects with this module, each with its own settings.
"""

import os
import site
import sys
import threading

from . import modwsgi
from .loader import ScriptLoader
from .log import LogStream
from .request import RequestHandler
from .server import Server


def _setup_path(settings):
    """sys.path = [home, python-path entries..., the rest], as mod_wsgi does."""
    if settings.home:
        os.chdir(settings.home)
    # No cwd entry ('' from -c): mod_wsgi's embedded Python has none.
    front = [settings.home] if settings.home else []
    for directory in settings.python_path:
        before = list(sys.path)
        site.addsitedir(directory)
        # addsitedir appends (with .pth additions); mod_wsgi moves them first.
        front.extend(entry for entry in sys.path if entry not in before)
    rest = [entry for entry in sys.path if entry not in front and entry != '']
    sys.path[:] = front + rest


class _RestrictedStdin:
    """mod_wsgi's default WSGIRestrictStdin: stdin is the supervisor's."""

    def __getattr__(self, name):
        raise OSError('sys.stdin access restricted by mod_wsgi')


def setup_interpreter(settings, log):
    """sys.path, sys.argv, the standard streams and the mod_wsgi module of this interpreter;
    returns the function that runs the module's shutdown callbacks.

    Every interpreter has its own sys module, so mod_wsgi sets these up in
    each one. The original streams (sys.__stdout__...) stay as they are: they
    do not own fds 0-2 (closefd=False), so nothing here can close them.
    """
    _setup_path(settings)
    sys.argv = ['mod_wsgi']
    sys.stdin = _RestrictedStdin()
    sys.stdout = LogStream(log, '<stdout>')
    sys.stderr = LogStream(log, '<stderr>')
    return modwsgi.install(settings, log)


def flush_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def start(settings, log, control, subinterpreter=False):
    """Run the import scripts of settings (reporting each on the control fd),
    then listen and start the serving threads; returns the Server."""
    loader = ScriptLoader(settings, log, subinterpreter)
    for script in settings.import_scripts:
        ok, seconds, error = loader.import_script(script)
        report = dict(script=script.path, applicationGroup=script.application_group,
                      ok=ok, seconds=seconds)
        if error is not None:
            report['error'] = error  # optional in ImportReport: left out on success
        control.send('import', **report)
    if settings.stack_size is not None:
        # Each interpreter keeps its own size for the threads it starts.
        try:
            threading.stack_size(settings.stack_size)
        except (ValueError, RuntimeError) as exc:
            log.error('Unable to set the thread stack size to %d bytes: %s' % (settings.stack_size, exc))
    handler = RequestHandler(settings, loader, log, LogStream(log, '<wsgi.errors>'))
    server = Server(settings, handler, log)
    server.listen()
    server.start()
    return server
