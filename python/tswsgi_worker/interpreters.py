"""Sub-interpreters: which API this Python has, creating one, running code in it.

mod_wsgi runs each application group in a sub-interpreter of its own (own
sys.modules, same process). It creates them with Py_NewInterpreter(), which
shares the GIL and allows threads, daemon threads and every extension module.
The private modules below give the same kind of interpreter:

- CPython 3.9 to 3.12: _xxsubinterpreters.create(isolated=False). Its default,
  isolated=True, refuses threads ("thread is not supported for isolated
  subinterpreters" up to 3.11, "daemon threads are disabled" in 3.12).
- CPython 3.13 and later: _interpreters.create('legacy'), the predefined config
  of Py_NewInterpreter (use_main_obmalloc, allow_threads, allow_daemon_threads,
  check_multi_interp_extensions off, shared GIL).

available() checks for real that the interpreter it creates can start a
thread, since serving threads are what a sub-interpreter is here for.

Call create() and run() from the main thread of the main interpreter: up to
3.11, _xxsubinterpreters runs code in the interpreter's first thread state,
which belongs to the thread that created it, and refuses to run code at all
once the interpreter has other threads. So everything a sub-interpreter has to
do at start is one run() call.
"""

import re

_LEGACY_CONFIG = 'legacy'

# Runs in a fresh interpreter: can it start a daemon thread?
_PROBE = '''
import threading
_probe = threading.Thread(target=int, daemon=True)
_probe.start()
_probe.join()
del threading, _probe
'''


class RunFailed(Exception):
    """The code run in a sub-interpreter raised; the message is "Type: text"."""


_state = None  # (module, create function, description) once found
_reason = None  # why there is none


def _modules():
    """(module, create function, description) for each API this Python might have."""
    found = []
    try:
        import _interpreters  # CPython 3.13+
    except ImportError:
        pass
    else:
        found.append((_interpreters, lambda: _interpreters.create(_LEGACY_CONFIG),
                      "_interpreters, '%s' config" % _LEGACY_CONFIG))
    try:
        import _xxsubinterpreters  # CPython 3.9 to 3.12
    except ImportError:
        pass
    else:
        found.append((_xxsubinterpreters, lambda: _xxsubinterpreters.create(isolated=False),
                      '_xxsubinterpreters, isolated=False'))
        # Without the keyword (not seen in 3.9 to 3.12): the plain call. The
        # probe then tells whether its interpreters can run threads.
        found.append((_xxsubinterpreters, _xxsubinterpreters.create, '_xxsubinterpreters'))
    return found


def _run(module, interp_id, source):
    try:
        result = module.run_string(interp_id, source)
    except Exception as exc:
        # Up to 3.12: RunFailedError("<class 'ValueError'>: text").
        if type(exc).__name__ != 'RunFailedError':
            raise
        raise RunFailed(re.sub(r"^<class '(?:builtins\.)?([^']*)'>: ", r'\1: ', str(exc))) from None
    if result is not None:
        # 3.13+: a snapshot of the uncaught exception instead of raising.
        message = getattr(result, 'formatted', None)
        if not message:
            kind = getattr(getattr(result, 'type', None), '__name__', 'Exception')
            message = '%s: %s' % (kind, getattr(result, 'msg', result))
        raise RunFailed(message)


def _probe():
    global _state, _reason
    candidates = _modules()
    if not candidates:
        _reason = 'this Python has neither _interpreters nor _xxsubinterpreters'
        return
    reasons = []
    for module, create, description in candidates:
        try:
            interp_id = create()
        except TypeError as exc:
            reasons.append('%s: %s' % (description, exc))
            continue  # the keyword or config is not known here
        except Exception as exc:
            reasons.append('%s: %s' % (description, exc))
            continue
        try:
            _run(module, interp_id, _PROBE)
        except RunFailed as exc:
            reasons.append('%s: %s' % (description, str(exc).strip().split('\n')[-1]))
            continue
        finally:
            try:
                module.destroy(interp_id)
            except Exception:
                pass  # one idle interpreter left: harmless
        _state = (module, create, description)
        return
    _reason = '; '.join(reasons)


def available():
    """A short description of the API in use, or None when sub-interpreters
    that can run threads are not available (see unavailable_reason())."""
    if _state is None and _reason is None:
        _probe()
    return _state[2] if _state is not None else None


def unavailable_reason():
    available()
    return _reason


def create():
    """A new sub-interpreter sharing the GIL and allowing threads; its id."""
    if available() is None:
        raise RuntimeError('sub-interpreters are unavailable: %s' % _reason)
    return _state[1]()


def run(interp_id, source):
    """Run source in the sub-interpreter's __main__, in this thread.

    Raises RunFailed with "Type: text" of the exception it did not catch.
    """
    if available() is None:
        raise RuntimeError('sub-interpreters are unavailable: %s' % _reason)
    _run(_state[0], interp_id, source)
