"""Loading WSGI script files the way mod_wsgi does (wsgi_load_source).

A script is compiled with its path as filename and executed as a new module
named _mod_wsgi_<md5 of the path>, never __main__, kept in sys.modules with
__mtime__ (the file's mtime in microseconds).
"""

import importlib.machinery
import importlib.util
import linecache
import os
import re
import sys
import threading
import time
import types

from .log import describe, errno_prefix


class LoadError(Exception):
    """The script could not be loaded; the details are in the error log."""


class MissingCallable(LoadError):
    """The script loaded but has no attribute of the callable's name."""


# What extension modules say when they cannot be loaded into a sub-interpreter:
# CPython ("module X does not support loading in subinterpreters"), PyO3
# ("PyO3 modules do not yet support subinterpreters"), numpy ("cannot load
# module more than once per process"), Cython ("this module can only be loaded
# into one interpreter per process").
_NOT_IN_SUBINTERPRETERS = re.compile(
    r'sub-?\s?interpreter|more than once per process|one interpreter per process'
    r'|once per interpreter process', re.IGNORECASE)
_MODULE_IN_MESSAGE = re.compile(r"module '?([\w.]+)'? does not support")


def _imported_by(frame, lineno):
    """The module the import statement at frame's line imports, or None."""
    import ast  # only when an import failed: 1.4 MiB a process otherwise
    line = linecache.getline(frame.f_code.co_filename, lineno, frame.f_globals).strip()
    try:
        statement = ast.parse(line).body[0]
    except (SyntaxError, ValueError, IndexError):
        return None  # e.g. a statement over several lines
    if isinstance(statement, ast.Import):
        names = [alias.name for alias in statement.names]
    elif isinstance(statement, ast.ImportFrom):
        base = statement.module or ''
        if statement.level:
            package = (frame.f_globals.get('__package__') or '').split('.')
            package = package[:len(package) - statement.level + 1]
            base = '.'.join(part for part in package + [base] if part)
        if not base:
            return None
        # "from package import name": name is a submodule or an attribute.
        names = [base + '.' + alias.name for alias in statement.names if alias.name != '*'] or [base]
    else:
        return None
    # Of several, the one that is not imported: the import stopped there.
    missing = [name for name in names if name not in sys.modules]
    return (missing or names)[0]


def subinterpreter_import_error(exc):
    """Naming the extension module that refuses to be loaded into a
    sub-interpreter, from an ImportError in exc or what caused it:
    "Python module 'name'", "A Python module imported by 'name'", or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ImportError) and _NOT_IN_SUBINTERPRETERS.search(str(exc)):
            found = _MODULE_IN_MESSAGE.search(str(exc))
            if found:
                return "Python module '%s'" % found.group(1)
            if exc.name:
                return "Python module '%s'" % exc.name
            # The extension does not say who it is: read the import statement.
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is None:
                return 'A Python module'
            name = _imported_by(tb.tb_frame, tb.tb_lineno)
            if name:
                return "Python module '%s'" % name
            return "A Python module imported by '%s'" % tb.tb_frame.f_globals.get('__name__', '?')
        exc = exc.__cause__ or exc.__context__
    return None


try:
    # CPython's own MD5: hashlib would load OpenSSL's libcrypto, 3.7 MiB in every process.
    from _md5 import md5 as _md5
except ImportError:
    from hashlib import md5 as _md5


def module_name(path):
    return '_mod_wsgi_' + _md5(path.encode('utf-8', 'surrogateescape')).hexdigest()


class ScriptLoader:

    def __init__(self, settings, log, subinterpreter=False):
        self._settings = settings
        self._log = log
        self._subinterpreter = subinterpreter
        self._modules = {}  # (application group, path) -> module
        # Loading runs module code: one at a time, as mod_wsgi's module lock.
        self._lock = threading.RLock()

    def _where(self, group):
        return "mod_wsgi (pid=%d, process='%s', application='%s'): " % (
            os.getpid(), self._settings.process_group, group)

    def loaded(self, path, group):
        """Whether the script's module is loaded in this application group."""
        return (group, path) in self._modules

    def application(self, path, group, name, module=False):
        """The WSGI callable `name` of the script (or with `module`, of the
        module of that name), loading it on first use.

        A changed script is never reloaded here: the supervisor replaces the
        process (WSGIScriptReloading), so no request waits for the new import.
        """
        found = self._modules.get((group, path))
        if found is None:
            with self._lock:
                found = self._modules.get((group, path))
                if found is None:
                    found = self.import_module(path, group) if module else self.load(path, group)
        app = getattr(found, name, None)
        if app is None:
            self._log.error("mod_wsgi (pid=%d): Target WSGI %s '%s' does not contain WSGI "
                            "application '%s'." % (os.getpid(), 'module' if module else 'script', path, name))
            raise MissingCallable("no WSGI application '%s'" % name)
        return app

    def _check_group(self, group, where):
        if group != self._settings.application_group:
            # Each application group has processes of its own (the supervisor routes by group).
            message = ("Application group '%s' is not served by this process, which serves "
                       "application group '%s'." % (group, self._settings.application_group))
            self._log.error(where + message)
            raise LoadError(message)

    def import_module(self, name, group):
        """Import the module `name` as Python's import statement would (kept in
        sys.modules under its own name); log and raise LoadError on failure."""
        where = self._where(group)
        self._check_group(group, where)
        with self._lock:
            self._log.info(where + "Importing Python module '%s'." % name)
            try:
                module = importlib.import_module(name)
            except (Exception, SystemExit) as exc:
                self._log.error(where + "Failed to import Python module '%s'." % name)
                self._log.script_exception(name, exc)
                self._hint(where, exc)
                raise LoadError(describe(exc)) from exc
            self._modules[(group, name)] = module
            return module

    def load(self, path, group):
        """Execute the script as a fresh module; log and raise LoadError on failure."""
        where = self._where(group)
        self._check_group(group, where)
        name = module_name(path)
        with self._lock:
            self._log.info(where + "Loading Python script file '%s'." % path)
            try:
                with open(path, 'rb') as file:
                    source = file.read()
                code = compile(source, path, 'exec', dont_inherit=True)
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
            self._hint(where, exc)
            raise LoadError(describe(exc)) from exc
        return module

    def _hint(self, where, exc):
        if not self._subinterpreter:
            return
        module = subinterpreter_import_error(exc)
        if module is not None:
            self._log.error(where + "%s does not support sub-interpreters (%s). Run "
                            "application group '%s' in the main interpreter with "
                            "'WSGIApplicationGroup %%{GLOBAL}'."
                            % (module, describe(exc), self._settings.application_group))

    def import_script(self, script):
        """Run one import script at startup; returns (ok, seconds, error text)."""
        start = time.monotonic()
        if self.loaded(script.path, script.application_group):
            # Named twice (WSGIImportScript and a WSGIScriptAlias preload): loaded
            # once, as mod_wsgi loads a script whose module already exists.
            return True, 0.0, None
        try:
            if script.module:
                self.import_module(script.path, script.application_group)
            else:
                self.load(script.path, script.application_group)
        except LoadError as exc:
            return False, time.monotonic() - start, str(exc)
        seconds = time.monotonic() - start
        self._log.info(self._where(script.application_group) + "Loaded Python %s '%s' in %.6f seconds."
                       % ('module' if script.module else 'script file', script.path, seconds))
        return True, seconds, None
