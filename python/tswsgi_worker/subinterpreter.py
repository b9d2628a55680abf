"""What runs inside each sub-interpreter (started by groups.py).

bootstrap() runs in the sub-interpreter's main thread (the process's main
thread, borrowed for one run-string call), as mod_wsgi runs import scripts:
it builds this interpreter's own log, loader, handler and server for its
application group, runs the group's import scripts, listens, starts the
serving threads and a thread that waits for the stop request, and returns.
Those threads keep running in this interpreter afterwards.
"""

import atexit
import os
import threading

from . import settings as settings_module
from .control import Control
from .group import flush_streams, setup_interpreter, start
from .log import ErrorLog


def _stop_when_asked(server, publish_shutdown, stop_fd, done_fd, timeout):
    # One byte (or EOF) on stop_fd: stop accepting, wait for requests in progress.
    try:
        os.read(stop_fd, 1)
    except OSError:
        pass
    server.stop(timeout)
    publish_shutdown()
    # The process ends with os._exit(), which skips interpreter teardown;
    # mod_wsgi calls each interpreter's atexit callbacks before destroying it.
    run_exitfuncs = getattr(atexit, '_run_exitfuncs', None)
    if run_exitfuncs is not None:
        run_exitfuncs()
    flush_streams()
    try:
        os.write(done_fd, b'.')
    except OSError:
        pass


def bootstrap(settings_json, stop_fd, done_fd, timeout):
    """Set up and start serving this interpreter's application group.

    Raises when the group cannot serve (e.g. its socket cannot be bound);
    failing import scripts are logged and reported, as in the main interpreter.
    """
    settings = settings_module.parse(settings_json)
    log = ErrorLog(settings.log_level)
    control = Control()
    publish_shutdown = setup_interpreter(settings, log)
    try:
        server = start(settings, log, control, subinterpreter=True)
    finally:
        flush_streams()
    threading.Thread(target=_stop_when_asked, args=(server, publish_shutdown, stop_fd, done_fd, timeout),
                     name='tswsgi-stop', daemon=True).start()
