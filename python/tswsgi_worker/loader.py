"""Loading WSGI script files the way mod_wsgi does (wsgi_load_source).

A script is compiled with its path as filename and executed as a new module
named _mod_wsgi_<md5 of the path>, never __main__, kept in sys.modules with
__mtime__ (the file's mtime in microseconds).
"""

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
import time
import types

from .log import describe, errno_prefix


class LoadError(Exception):
    """The script could not be loaded; the details are in the error log."""


def module_name(path):
    digest = hashlib.md5(path.encode('utf-8', 'surrogateescape'), usedforsecurity=False)
    return '_mod_wsgi_' + digest.hexdigest()


class ScriptLoader:

    def __init__(self, settings, log):
        self._settings = settings
        self._log = log
        self._modules = {}  # (application group, path) -> module
        # Loading runs module code: one at a time, as mod_wsgi's module lock.
        self._lock = threading.RLock()

    def _where(self, group):
        return "mod_wsgi (pid=%d, process='%s', application='%s'): " % (
            os.getpid(), self._settings.process_group, group)

    def application(self, path, group, name, mtime):
        """The WSGI callable `name` of the script, loading it when needed.

        mtime is None when the request's scope has WSGIScriptReloading Off.
        """
        module = self._modules.get((group, path))
        if module is None or self._stale(module, mtime):
            with self._lock:
                module = self._modules.get((group, path))
                if module is None or self._stale(module, mtime):
                    module = self.load(path, group, mtime, reload=module is not None)
        app = getattr(module, name, None)
        if app is None:
            self._log.error("mod_wsgi (pid=%d): Target WSGI script '%s' does not "
                            "contain WSGI application '%s'." % (os.getpid(), path, name))
            raise LoadError("no WSGI application '%s'" % name)
        return app

    @staticmethod
    def _stale(module, mtime):
        return mtime is not None and module.__mtime__ != mtime

    def load(self, path, group, mtime=None, reload=False):
        """Execute the script as a fresh module; log and raise LoadError on failure."""
        where = self._where(group)
        if group != self._settings.application_group:
            # Each application group has processes of its own (the supervisor routes by group).
            message = ("Application group '%s' is not served by this process, which serves "
                       "application group '%s'." % (group, self._settings.application_group))
            self._log.error(where + message)
            raise LoadError(message)
        name = module_name(path)
        with self._lock:
            if reload:
                self._log.info(where + "Reloading WSGI script '%s'." % path)
                del self._modules[(group, path)]
                sys.modules.pop(name, None)
            else:
                self._log.info(where + "Loading Python script file '%s'." % path)
            try:
                with open(path, 'rb') as file:
                    source = file.read()
                code = compile(source, path, 'exec', dont_inherit=True)
                if mtime is None:
                    mtime = os.stat(path).st_mtime_ns // 1000
            except Exception as exc:
                self._log.error(errno_prefix(exc) + where
                                + "Could not read/compile source file '%s'." % path)
                self._log.script_exception(path, exc)
                raise LoadError(describe(exc)) from exc
            module = self._execute(name, path, code, where)
            module.__mtime__ = mtime
            self._modules[(group, path)] = module
            return module

    def _execute(self, name, path, code, where):
        module = types.ModuleType(name)
        module.__file__ = path
        module.__loader__ = importlib.machinery.SourceFileLoader(name, path)
        module.__spec__ = importlib.util.spec_from_file_location(
            name, path, loader=module.__loader__)
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        except SystemExit as exc:
            sys.modules.pop(name, None)
            self._log.error(where + "SystemExit exception raised when doing exec "
                            "of Python script file '%s'." % path)
            raise LoadError(describe(exc)) from exc
        except Exception as exc:
            sys.modules.pop(name, None)
            self._log.error(where + "Failed to exec Python script file '%s'." % path)
            self._log.script_exception(path, exc)
            raise LoadError(describe(exc)) from exc
        return module

    def import_script(self, script):
        """Run one import script at startup; returns (ok, seconds, error text)."""
        start = time.monotonic()
        try:
            self.load(script.path, script.application_group)
        except LoadError as exc:
            return False, time.monotonic() - start, str(exc)
        seconds = time.monotonic() - start
        self._log.info(self._where(script.application_group)
                       + "Loaded Python script file '%s' in %.6f seconds."
                       % (script.path, seconds))
        return True, seconds, None
