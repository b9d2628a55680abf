"""Worker entry point: set up Python like a mod_wsgi daemon process, then serve.

Started by the supervisor as described in docs/protocol.md.
"""

import atexit
import locale
import os
import select
import signal
import sys
import threading
import time
import traceback

from . import group
from . import settings as settings_module
from .control import Control
from .groups import Groups
from .log import ErrorLog

# How long a closed stdin waits for requests in progress.
_SHUTDOWN_TIMEOUT = 5.0


def _exit_now(signum, frame):
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def _stack_dumper(log):
    # The front end asks for this when a request passes request-timeout: every thread's
    # stack goes to the error log, so the stuck line can be found (as mod_wsgi does).
    # Threads of sub-interpreters are not visible from the main interpreter.
    def dump(signum, frame):
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        for ident, top in sys._current_frames().items():
            stack = ''.join(traceback.format_stack(top)).rstrip('\n')
            log.error('Stack of thread %s (%d), most recent call last:\n%s'
                      % (names.get(ident, '?'), ident, stack))
    return dump


def _become(run_as, log):
    # As mod_wsgi's daemons: groups, then gid, then uid, before any application code runs.
    # Only root can; a front end that is not root sends only its own uid and gid.
    if run_as is None or os.getuid() != 0:
        return
    try:
        if run_as.groups is None:
            os.initgroups(run_as.user, run_as.gid)
        else:
            os.setgroups(list(run_as.groups))
        os.setgid(run_as.gid)
        os.setuid(run_as.uid)
    except OSError as exc:
        log.log('crit', 'tswsgi worker cannot switch to user %s (uid %d, gid %d): %s'
                % (run_as.user, run_as.uid, run_as.gid, exc))
        sys.exit(1)
    # Modules imported from here on are read as that user: say so now, not as odd ImportErrors later.
    library = os.path.dirname(os.__file__)
    if not os.access(library, os.R_OK | os.X_OK):
        log.log('crit', "tswsgi worker cannot run as user %s: it cannot read this Python's library %s "
                "(choose a Python that user can read)" % (run_as.user, library))
        sys.exit(1)


def _yield_to_the_front_end(log):
    # SCHED_BATCH keeps the process's share of the CPU (nice is untouched) but stops a
    # thread woken by a request from preempting the front end, which serves every
    # connection from one thread: each preemption cost both sides a context switch and
    # a cold cache (docs/performance.md). Set before any thread starts: threads inherit it.
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError) as exc:  # not Linux, or a sandbox that refuses it
        log.debug('Keeping the default scheduling policy: %s' % exc)


def _report_alive(control):
    # deadlock-timeout: this thread needs the GIL to run at all, so the front end, which
    # hears from it every second, can tell when something has held the GIL too long.
    def beat():
        while True:
            control.send('alive')
            time.sleep(1.0)
    threading.Thread(target=beat, name='tswsgi-alive', daemon=True).start()


def _leave_if_orphaned_while_starting(serving):
    # Once serving, the command loop reads stdin's EOF and lets requests finish. Before that,
    # while import scripts run (for minutes, or forever if one hangs), nothing reads stdin: a
    # front end that died (kill -9) would leave this process running with no one to stop it.
    # Its pipe's hang-up is the sign; before `serving` there is no request to finish.
    def watch():
        poller = select.poll()
        poller.register(0, 0)  # no events asked for: the hang-up (or a closed fd) is always reported
        poller.poll()
        if not serving.is_set():
            os._exit(1)
    threading.Thread(target=watch, name='tswsgi-orphan-watch', daemon=True).start()


def _set_process_name(name, log):
    # WSGIDaemonProcess display-name=: Python cannot rewrite argv[0] as mod_wsgi does, but the
    # kernel's process name (ps -o comm, top; 15 bytes) can be set with prctl(PR_SET_NAME).
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(15, ctypes.c_char_p(name.encode('utf-8')[:15]), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), 'prctl(PR_SET_NAME) failed')
    except (OSError, AttributeError) as exc:
        log.log('warn', "Could not set the process name to '%s': %s" % (name, exc))


def _apply_process_options(settings, log):
    if settings.display_name:
        _set_process_name(settings.display_name, log)
    if settings.virtual_memory_limit is not None:
        import resource
        limit = settings.virtual_memory_limit
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (OSError, ValueError) as exc:
            log.error('Unable to set the virtual memory limit of the process to %d bytes: %s' % (limit, exc))
    # WSGIDaemonProcess umask= and locale= (LANG and LC_ALL are already in the environment).
    if settings.umask is not None:
        os.umask(settings.umask)
    if settings.locale is not None:
        try:
            locale.setlocale(locale.LC_ALL, settings.locale)
        except locale.Error as exc:
            log.error("Unsupported locale setting '%s' specified for daemon process group '%s' (%s). "
                      "Consider 'C.UTF-8' as fallback setting." % (settings.locale, settings.process_group, exc))


def _commands(groups):
    """Run the front end's commands (JSON lines on stdin) until stdin's EOF,
    which asks for an exit once idle."""
    pending = b''
    while True:
        try:
            data = os.read(0, 65536)
        except OSError:
            return  # no stdin at all: same as EOF
        if not data:
            return  # a last line without its newline is dropped: we stop anyway
        lines = (pending + data).split(b'\n')
        pending = lines.pop()
        for line in lines:
            groups.command(line.decode('utf-8', 'replace'))


def main():
    log = ErrorLog('warn')
    try:
        settings = settings_module.from_environment()
        log = ErrorLog(settings.log_level)
    except ValueError as exc:
        log.log('crit', 'tswsgi worker cannot start: %s' % exc)
        sys.exit(1)
    _become(settings.run_as, log)
    # Like a mod_wsgi daemon: SIGTERM and SIGINT stop at once.
    signal.signal(signal.SIGTERM, _exit_now)
    signal.signal(signal.SIGINT, _exit_now)
    signal.signal(signal.SIGUSR2, _stack_dumper(log))
    _yield_to_the_front_end(log)
    serving = threading.Event()
    _leave_if_orphaned_while_starting(serving)
    control = Control()
    if settings.deadlock_timeout:
        _report_alive(control)
    # Process-wide: only here, never again in a sub-interpreter.
    _apply_process_options(settings, log)
    publish_shutdown = group.setup_interpreter(settings, log)

    groups = Groups(settings, log, control, _SHUTDOWN_TIMEOUT)
    server = group.start(settings._replace(import_scripts=groups.main_import_scripts()),
                         log, control)
    for application_group in settings.application_groups:
        groups.add(application_group.name, application_group.socket)
    # Before 'ready': a front end that answers it by closing stdin at once gets the drain, not the watcher's exit.
    serving.set()
    control.send('ready', pid=os.getpid(), python=settings_module.python_version(),
                 interpreters=groups.description)

    _commands(groups)
    deadline = time.monotonic() + _SHUTDOWN_TIMEOUT + 1.0
    groups.stop()  # the sub-interpreters stop in their own threads meanwhile
    server.stop(_SHUTDOWN_TIMEOUT)
    publish_shutdown()
    groups.wait(deadline)
    if groups.created:
        # Interpreter teardown with sub-interpreters whose threads still exist
        # can stall (mod_wsgi sees Py_EndInterpreter hang on Python 3.11), and
        # every request is done: run the main interpreter's atexit callbacks
        # (each sub-interpreter ran its own), flush the logs, and leave.
        run_exitfuncs = getattr(atexit, '_run_exitfuncs', None)
        if run_exitfuncs is not None:
            run_exitfuncs()
        group.flush_streams()
        os._exit(0)
    group.flush_streams()
