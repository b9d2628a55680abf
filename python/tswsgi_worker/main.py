"""Worker entry point: set up Python like a mod_wsgi daemon process, then serve.

Started by the supervisor as described in docs/protocol.md.
"""

import locale
import os
import platform
import signal
import site
import sys

from . import settings as settings_module
from .control import Control
from .loader import ScriptLoader
from .log import ErrorLog, LogStream
from .request import RequestHandler
from .server import Server

# How long a closed stdin waits for requests in progress.
_SHUTDOWN_TIMEOUT = 5.0


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


def _exit_now(signum, frame):
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def _apply_process_options(settings, log):
    # WSGIDaemonProcess umask= and locale= (LANG and LC_ALL are already in the environment).
    if settings.umask is not None:
        os.umask(settings.umask)
    if settings.locale is not None:
        try:
            locale.setlocale(locale.LC_ALL, settings.locale)
        except locale.Error as exc:
            log.error("Unsupported locale setting '%s' specified for daemon process group '%s' (%s). "
                      "Consider 'C.UTF-8' as fallback setting." % (settings.locale, settings.process_group, exc))


def main():
    log = ErrorLog('warn')
    try:
        settings = settings_module.from_environment()
        log = ErrorLog(settings.log_level)
    except ValueError as exc:
        log.log('crit', 'tswsgi worker cannot start: %s' % exc)
        sys.exit(1)
    # Like a mod_wsgi daemon: SIGTERM and SIGINT stop at once.
    signal.signal(signal.SIGTERM, _exit_now)
    signal.signal(signal.SIGINT, _exit_now)
    control = Control()
    _apply_process_options(settings, log)
    _setup_path(settings)
    sys.argv = ['mod_wsgi']
    sys.stdin = _RestrictedStdin()
    sys.stdout = LogStream(log, '<stdout>')
    sys.stderr = LogStream(log, '<stderr>')

    loader = ScriptLoader(settings, log)
    for script in settings.import_scripts:
        ok, seconds, error = loader.import_script(script)
        report = dict(script=script.path, applicationGroup=script.application_group,
                      ok=ok, seconds=seconds)
        if error is not None:
            report['error'] = error  # optional in ImportReport: left out on success
        control.send('import', **report)

    handler = RequestHandler(settings, loader, log, LogStream(log, '<wsgi.errors>'))
    server = Server(settings, handler, log)
    server.listen()
    server.start()
    control.send('ready', pid=os.getpid(), python=platform.python_version(),
                 interpreters='main')

    # The supervisor closes stdin to ask for an exit once idle.
    try:
        while os.read(0, 65536):
            pass
    except OSError:
        pass  # no stdin at all: same as EOF
    server.stop(_SHUTDOWN_TIMEOUT)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
