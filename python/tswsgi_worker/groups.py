"""The main interpreter's side of application groups in sub-interpreters.

In "sub" mode (settings.interpreters) the main interpreter serves its own
application group ("" is %{GLOBAL}) on settings.socket, and every other
application group runs in a sub-interpreter of its own with a socket of its
own: created at start for settings.application_groups, or later on an
add-group command from the front end. All of it happens in the main thread.
"""

import json
import os
import select
import time

from . import interpreters
from . import settings as settings_module

# The package's parent directory: sys.path for the import in a sub-interpreter.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_BOOTSTRAP = '''\
import sys
sys.path.insert(0, {parent!r})
try:
    import tswsgi_worker.subinterpreter
finally:
    sys.path.remove({parent!r})
try:
    tswsgi_worker.subinterpreter.bootstrap({settings!r}, {stop_fd!r}, {done_fd!r}, {timeout!r})
finally:
    del sys, tswsgi_worker
'''


class _Group:

    def __init__(self, name, socket, interp_id, stop_fd, done_fd):
        self.name = name
        self.socket = socket
        self.interp_id = interp_id
        self.stop_fd = stop_fd  # write end: one byte asks the group to stop
        self.done_fd = done_fd  # read end: one byte when it stopped


class Groups:

    def __init__(self, settings, log, control, shutdown_timeout):
        self._settings = settings
        self._log = log
        self._control = control
        self._timeout = shutdown_timeout
        self._groups = {}  # application group -> _Group, for those that serve
        self._made = False  # whether any sub-interpreter exists (maybe a failed one)
        self.api = None
        if settings.interpreters == 'sub':
            self.api = interpreters.available()
            if self.api is None:
                self._log.error(
                    "mod_wsgi (pid=%d): Sub-interpreters are unavailable in Python %s (%s); "
                    "no application group other than '%s' is served by this process."
                    % (os.getpid(), settings_module.python_version(),
                       interpreters.unavailable_reason(), settings.application_group))

    @property
    def description(self):
        """The ready event's "interpreters"."""
        return 'sub-interpreters (%s)' % self.api if self.api else 'main'

    @property
    def created(self):
        """Whether a sub-interpreter was created (the process then ends with os._exit)."""
        return self._made

    def main_import_scripts(self):
        """The import scripts the main interpreter runs: in "sub" mode only
        those of its own application group, the others wait for their
        sub-interpreter; in "main" mode all of them, as before."""
        scripts = self._settings.import_scripts
        if self._settings.interpreters != 'sub':
            return scripts
        return tuple(script for script in scripts
                     if script.application_group == self._settings.application_group)

    def _ready(self, name, socket):
        self._control.send('group-ready', applicationGroup=name, socket=socket)

    def _failed(self, name, error):
        self._control.send('group-failed', applicationGroup=name, error=error)

    def add(self, name, socket):
        """Serve application group `name` on `socket`; answers on the control fd."""
        settings = self._settings
        if name == settings.application_group:
            self._ready(name, settings.socket)
            return
        if settings.interpreters != 'sub':
            self._failed(name, "this process serves only application group '%s', in its main "
                               "interpreter (interpreters: main)" % settings.application_group)
            return
        if self.api is None:
            self._failed(name, 'sub-interpreters are unavailable in Python %s (%s)'
                         % (settings_module.python_version(), interpreters.unavailable_reason()))
            return
        group = self._groups.get(name)
        if group is not None:
            self._ready(name, group.socket)
            return
        self._log.info("mod_wsgi (pid=%d): Create interpreter '%s'." % (os.getpid(), name))
        group_settings = settings._replace(
            application_group=name, socket=socket, application_groups=(),
            import_scripts=tuple(script for script in settings.import_scripts
                                 if script.application_group == name))
        stop_read, stop_write = os.pipe()
        done_read, done_write = os.pipe()
        source = _BOOTSTRAP.format(parent=_PACKAGE_PARENT,
                                   settings=settings_module.dump(group_settings),
                                   stop_fd=stop_read, done_fd=done_write, timeout=self._timeout)
        try:
            interp_id = interpreters.create()
            self._made = True
            interpreters.run(interp_id, source)
        except Exception as exc:
            # The interpreter (if any) is left alone: destroying it could
            # wait forever for threads its import scripts started.
            for fd in (stop_read, stop_write, done_read, done_write):
                os.close(fd)
            error = str(exc).strip().split('\n')[-1]
            self._log.error("mod_wsgi (pid=%d): Cannot create interpreter '%s': %s"
                            % (os.getpid(), name, error))
            self._failed(name, error)
            return
        # stop_read and done_write now belong to the sub-interpreter.
        self._groups[name] = _Group(name, socket, interp_id, stop_write, done_read)
        self._ready(name, socket)

    def command(self, line):
        """One JSON line from stdin."""
        if not line.strip():
            return
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self._log.error('tswsgi worker: ignoring a malformed command on stdin: %r' % line[:200])
            return
        if message.get('cmd') == 'add-group':
            name, socket = message.get('name'), message.get('socket')
            if isinstance(name, str) and isinstance(socket, str) and socket:
                self.add(name, socket)
                return
            self._log.error('tswsgi worker: ignoring an add-group command without a name and '
                            'a socket path: %r' % line[:200])
            if isinstance(name, str):
                self._failed(name, 'add-group needs a name and a socket path')
            return
        self._log.error('tswsgi worker: ignoring an unknown command on stdin: %r' % line[:200])

    def stop(self):
        """Ask every sub-interpreter to stop accepting and finish its requests."""
        for group in self._groups.values():
            try:
                # A byte rather than EOF: a forked child may hold the write end.
                os.write(group.stop_fd, b'.')
            except OSError:
                pass

    def wait(self, deadline):
        """Wait, until the monotonic deadline, for the sub-interpreters to stop."""
        for group in self._groups.values():
            try:
                select.select([group.done_fd], [], [], max(deadline - time.monotonic(), 0))
            except OSError:
                pass
