"""Application groups in sub-interpreters of one worker process ("interpreters": "sub")."""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

from tswsgi_worker.control import PIPE_BUF, encode_line
from tswsgi_worker.loader import subinterpreter_import_error
from tswsgi_worker import settings as settings_module

from .test_worker import LAUNCH, PYTHON_DIR, Worker, body_of, exchange


def _probe():
    """interpreters.available() as a worker on this Python finds it, in a
    process of its own (the probe creates an interpreter)."""
    script = ('import sys; sys.path.insert(0, %r); from tswsgi_worker import interpreters; '
              'print(interpreters.available() or "-"); print(interpreters.unavailable_reason())'
              % PYTHON_DIR)
    run = subprocess.run([sys.executable, '-c', script], stdout=subprocess.PIPE,
                         universal_newlines=True, timeout=60)
    api, reason = (run.stdout.split('\n') + ['', ''])[:2]
    return (None if api in ('-', '') else api), reason


API, UNAVAILABLE = _probe()
NEEDS_API = unittest.skipIf(
    API is None, 'Python %s (%s) has no sub-interpreter API that can run threads: %s'
    % (platform.python_version(), sys.executable, UNAVAILABLE))

APPS = '''
import os, sys, threading, time

def info(environ, start_response):
    start_response('200 OK', [])
    return [repr({
        'pid': os.getpid(),
        'group': environ['mod_wsgi.application_group'],
        'marker': 'sub_marker' in sys.modules,
        'main_marker': 'main_marker' in sys.modules,
        'argv': sys.argv,
        'path0': sys.path[0],
        'tswsgi': 'tswsgi_worker' in sys.modules,
    }).encode()]

def slow(environ, start_response):
    print('slow began in %r' % environ['mod_wsgi.application_group'])
    time.sleep(1.0)
    start_response('200 OK', [])
    return [threading.current_thread().name.encode()]

_both = threading.Barrier(2)

def together(environ, start_response):
    # Returns once a second request is in here too: requests run one after the other never meet.
    _both.wait(timeout=30)
    start_response('200 OK', [])
    return [threading.current_thread().name.encode()]

def printing(environ, start_response):
    print('printed in group %s' % environ['mod_wsgi.application_group'])
    start_response('200 OK', [])
    return [b'']
'''

MARKER = '''
import sys, types
sys.modules['sub_marker'] = types.ModuleType('sub_marker')
'''

MAIN_MARKER = '''
import sys, types
sys.modules['main_marker'] = types.ModuleType('main_marker')
'''

FAILING = '''
def broken():
    raise ZeroDivisionError('sub-interpreter import failed')
broken()
'''

NOT_IN_SUBINTERPRETERS = '''
raise ImportError('module _fake_ext does not support loading in subinterpreters')
'''

# A worker on a Python without either API, as far as the worker can tell.
LAUNCH_WITHOUT_API = ("import sys; sys.modules['_xxsubinterpreters'] = None; "
                      "sys.modules['_interpreters'] = None; " + LAUNCH)


class _Files(unittest.TestCase):

    def make_files(self, directory):
        self.directory = directory
        self.script = os.path.join(directory, 'apps.wsgi')
        self.marker = os.path.join(directory, 'marker.py')
        self.main_marker = os.path.join(directory, 'main_marker.py')
        self.failing = os.path.join(directory, 'failing.py')
        self.not_in_sub = os.path.join(directory, 'not_in_sub.py')
        files = {self.script: APPS, self.marker: MARKER, self.main_marker: MAIN_MARKER,
                 self.failing: FAILING, self.not_in_sub: NOT_IN_SUBINTERPRETERS}
        for path, text in files.items():
            with open(path, 'w') as file:
                file.write(textwrap.dedent(text))

    def socket_of(self, name):
        return os.path.join(self.directory, 'group-%s.sock' % name)

    def environ(self, callable_object, group):
        return {'REQUEST_METHOD': 'GET', 'SCRIPT_FILENAME': self.script,
                'mod_wsgi.application_group': group, 'mod_wsgi.callable_object': callable_object}


@NEEDS_API
class SubInterpreterTest(_Files):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='tswsgi-test-')
        self = cls  # the file names are class attributes here
        _Files.make_files(cls, cls.tmp)
        cls.worker = Worker(cls.tmp, threads=2, multithread=True, interpreters='sub',
                            applicationGroups=[{'name': 'a', 'socket': _Files.socket_of(cls, 'a')},
                                               {'name': 'b', 'socket': _Files.socket_of(cls, 'b')}],
                            importScripts=[
                                {'path': self.main_marker, 'applicationGroup': ''},
                                {'path': self.marker, 'applicationGroup': 'a'},
                                {'path': self.failing, 'applicationGroup': 'b'},
                                {'path': self.not_in_sub, 'applicationGroup': 'b'},
                                {'path': self.script, 'applicationGroup': 'b'},
                            ])

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.worker.process.poll() is None:
                cls.worker.stop()
        finally:
            shutil.rmtree(cls.tmp)

    def request(self, group, callable_object='info', socket_path=None):
        conn = self.worker.connect(socket_path or (self.worker.socket_path if group == ''
                                                   else self.socket_of(group)))
        try:
            return exchange(conn, self.environ(callable_object, group))
        finally:
            conn.close()

    def info(self, group, socket_path=None):
        return eval(body_of(self.request(group, socket_path=socket_path)))

    def test_start_events(self):
        events = self.worker.events
        self.assertEqual([(e['event'], e.get('script'), e.get('applicationGroup'), e.get('ok'))
                          for e in events], [
            ('import', self.main_marker, '', True),
            ('import', self.marker, 'a', True),
            ('group-ready', None, 'a', None),
            ('import', self.failing, 'b', False),
            ('import', self.not_in_sub, 'b', False),
            ('import', self.script, 'b', True),
            ('group-ready', None, 'b', None),
            ('ready', None, None, None),
        ])
        self.assertEqual(events[2]['socket'], self.socket_of('a'))
        self.assertIn('ZeroDivisionError: sub-interpreter import failed', events[3]['error'])
        self.assertEqual(events[-1]['interpreters'], 'sub-interpreters (%s)' % API)
        self.assertEqual(events[-1]['pid'], self.worker.process.pid)

    def test_groups_are_interpreters_of_one_process(self):
        main = self.info('')
        a = self.info('a')
        b = self.info('b')
        self.assertEqual((main['group'], a['group'], b['group']), ('', 'a', 'b'))
        self.assertEqual({main['pid'], a['pid'], b['pid']}, {self.worker.process.pid})
        # Each interpreter has its own sys.modules.
        self.assertEqual((main['main_marker'], main['marker']), (True, False))
        self.assertEqual((a['main_marker'], a['marker']), (False, True))
        self.assertEqual((b['main_marker'], b['marker']), (False, False))
        # Set up like the main interpreter; the worker's package is not importable.
        self.assertEqual(a['argv'], ['mod_wsgi'])
        self.assertEqual(a['path0'], self.tmp)
        self.assertTrue(a['tswsgi'])  # loaded by the bootstrap, like the main interpreter

    def test_group_socket_serves_only_its_group(self):
        conn = self.worker.connect(self.socket_of('a'))
        self.addCleanup(conn.close)
        frames = exchange(conn, self.environ('info', 'b'))
        self.assertEqual([type for type, _ in frames], ['X'])
        self.worker.wait_for_log("Application group 'b' is not served by this process, which "
                                 "serves application group 'a'.")

    def test_threads_serve_at_once_in_a_sub_interpreter(self):
        results = []
        thread = threading.Thread(target=lambda: results.append(self.request('a', 'together')))
        thread.start()
        results.append(self.request('a', 'together'))
        thread.join()
        self.assertEqual(sorted(body_of(frames) for frames in results),
                         [b'tswsgi-1', b'tswsgi-2'])

    def test_failing_import_script_is_logged_and_group_serves(self):
        self.worker.wait_for_log("mod_wsgi (pid=%d, process='test', application='b'): "
                                 "Failed to exec Python script file '%s'."
                                 % (self.worker.process.pid, self.failing))
        self.worker.wait_for_log("Exception occurred processing WSGI script '%s'." % self.failing)
        self.worker.wait_for_log('ZeroDivisionError: sub-interpreter import failed')
        self.worker.wait_for_log('in broken')  # the traceback
        self.assertEqual(self.info('b')['group'], 'b')

    def test_extension_without_sub_interpreter_support_is_named(self):
        self.worker.wait_for_log(
            "mod_wsgi (pid=%d, process='test', application='b'): Python module '_fake_ext' "
            "does not support sub-interpreters (ImportError: module _fake_ext does not support "
            "loading in subinterpreters). Run application group 'b' in the main interpreter with "
            "'WSGIApplicationGroup %%{GLOBAL}'." % self.worker.process.pid)

    def test_stdout_of_a_sub_interpreter_goes_to_the_log(self):
        self.request('a', 'printing')
        self.worker.wait_for_log('[wsgi:error] [pid %d:' % self.worker.process.pid)
        self.worker.wait_for_log('printed in group a')

    def test_add_group(self):
        path = self.socket_of('c')
        self.worker.command(cmd='add-group', name='c', socket=path)
        self.assertEqual(self.worker.next_event(),
                         {'event': 'group-ready', 'applicationGroup': 'c', 'socket': path})
        self.assertEqual(self.info('c')['group'], 'c')
        self.assertEqual(self.info('c')['pid'], self.worker.process.pid)
        self.worker.wait_for_log("mod_wsgi (pid=%d): Create interpreter 'c'."
                                 % self.worker.process.pid)
        # Again: ready at once, the same interpreter and socket.
        self.worker.command(cmd='add-group', name='c', socket=path + '.other')
        self.assertEqual(self.worker.next_event(),
                         {'event': 'group-ready', 'applicationGroup': 'c', 'socket': path})
        self.assertEqual(self.worker.log().count("Create interpreter 'c'."), 1)
        self.assertFalse(os.path.exists(path + '.other'))
        # The main interpreter's group is there already.
        self.worker.command(cmd='add-group', name='', socket=path + '.main')
        self.assertEqual(self.worker.next_event(), {
            'event': 'group-ready', 'applicationGroup': '', 'socket': self.worker.socket_path})

    def test_add_group_that_cannot_listen(self):
        path = os.path.join(self.tmp, 'no-such-dir', 'd.sock')
        self.worker.command(cmd='add-group', name='d', socket=path)
        event = self.worker.next_event()
        self.assertEqual((event['event'], event['applicationGroup']), ('group-failed', 'd'))
        self.assertIn('FileNotFoundError', event['error'])
        self.worker.wait_for_log("Cannot create interpreter 'd': FileNotFoundError")
        # Later, with a socket it can bind, it is created.
        self.worker.command(cmd='add-group', name='d', socket=self.socket_of('d'))
        self.assertEqual(self.worker.next_event()['event'], 'group-ready')
        self.assertEqual(self.info('d')['group'], 'd')

    def test_bad_commands_are_logged(self):
        self.worker.process.stdin.write(b'not json\n{"cmd": "nothing"}\n')
        self.worker.process.stdin.flush()
        self.worker.command(cmd='add-group', name='e')
        self.assertEqual(self.worker.next_event(), {
            'event': 'group-failed', 'applicationGroup': 'e',
            'error': 'add-group needs a name and a socket path'})
        self.worker.wait_for_log("ignoring a malformed command on stdin: 'not json'")
        self.worker.wait_for_log('ignoring an unknown command on stdin')


def _numpy_refuses_a_second_interpreter():
    # numpy 1.25 and later: "cannot load module more than once per process".
    try:
        import importlib.metadata
        version = importlib.metadata.version('numpy')
    except Exception:
        return False
    return tuple(int(part) for part in version.split('.')[:2] if part.isdigit()) >= (1, 25)


@NEEDS_API
@unittest.skipUnless(_numpy_refuses_a_second_interpreter(),
                     'needs numpy 1.25 or later installed for Python %s' % platform.python_version())
class RealExtensionModuleTest(_Files):

    def test_numpy_in_a_second_interpreter(self):
        tmp = tempfile.mkdtemp(prefix='tswsgi-test-')
        self.addCleanup(shutil.rmtree, tmp)
        self.make_files(tmp)
        script = os.path.join(tmp, 'uses_numpy.py')
        with open(script, 'w') as file:
            file.write('import numpy\n')
        worker = Worker(tmp, interpreters='sub',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}],
                        importScripts=[{'path': script, 'applicationGroup': ''},
                                       {'path': script, 'applicationGroup': 'a'}])
        self.addCleanup(worker.stop)
        self.assertEqual([e.get('ok') for e in worker.events], [True, False, None, None])
        worker.wait_for_log("application='a'): Python module 'numpy.")
        worker.wait_for_log("_multiarray_umath' does not support sub-interpreters (ImportError: "
                            "cannot load module more than once per process). Run application "
                            "group 'a' in the main interpreter with 'WSGIApplicationGroup %{GLOBAL}'.")


@NEEDS_API
class SubInterpreterLifecycleTest(_Files):

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix='tswsgi-test-')
        self.addCleanup(shutil.rmtree, tmp)
        self.make_files(tmp)

    def test_stdin_eof_waits_for_requests_in_every_interpreter(self):
        worker = Worker(self.directory, threads=1, interpreters='sub',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}])
        results = []
        connections = []
        threads = []
        for group, path in (('a', self.socket_of('a')), ('', worker.socket_path)):
            conn = worker.connect(path)
            self.addCleanup(conn.close)
            connections.append(conn)
            thread = threading.Thread(target=lambda conn=conn, group=group: results.append(
                exchange(conn, self.environ('slow', group))))
            thread.start()
            threads.append(thread)
        for group in ('a', ''):
            worker.wait_for_log('slow began in %r' % group)
        started = time.monotonic()
        self.assertEqual(worker.stop(), 0)
        for thread in threads:
            thread.join()
        self.assertEqual([body_of(frames) for frames in results], [b'tswsgi-1', b'tswsgi-1'])
        self.assertLess(time.monotonic() - started, 5)
        # Every interpreter stopped listening and removed its socket.
        self.assertFalse(os.path.exists(self.socket_of('a')))
        self.assertFalse(os.path.exists(worker.socket_path))

    def test_shutdown_callbacks_run_in_every_interpreter(self):
        record = os.path.join(self.directory, 'stopping.txt')
        script = os.path.join(self.directory, 'subscribe.py')
        with open(script, 'w') as file:
            file.write(textwrap.dedent('''
                import mod_wsgi
                def stopping(event, shutdown_reason):
                    with open(%r, 'a') as out:
                        out.write('%%s %%r %%r\\n' %% (event, mod_wsgi.application_group, shutdown_reason))
                mod_wsgi.subscribe_shutdown(stopping)
            ''' % record))
        worker = Worker(self.directory, interpreters='sub',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}],
                        importScripts=[{'path': script, 'applicationGroup': ''},
                                       {'path': script, 'applicationGroup': 'a'}])
        self.assertEqual(worker.stop(), 0)
        with open(record) as file:
            self.assertEqual(sorted(file.read().splitlines()),
                             ["process_stopping '' ''", "process_stopping 'a' ''"])

    def test_sigterm_exits_at_once(self):
        worker = Worker(self.directory, interpreters='sub',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}])
        started = time.monotonic()
        worker.process.terminate()
        self.assertEqual(worker.process.wait(10), 0)
        self.assertLess(time.monotonic() - started, 2)
        worker.stop()

    def test_stdin_eof_when_idle(self):
        worker = Worker(self.directory, interpreters='sub',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}])
        worker.command(cmd='add-group', name='b', socket=self.socket_of('b'))
        self.assertEqual(worker.next_event()['event'], 'group-ready')
        started = time.monotonic()
        self.assertEqual(worker.stop(), 0)
        self.assertLess(time.monotonic() - started, 3)


class WithoutSubInterpretersTest(_Files):
    """"sub" mode where Python has no API, and "main" mode: group-failed."""

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix='tswsgi-test-')
        self.addCleanup(shutil.rmtree, tmp)
        self.make_files(tmp)

    def test_sub_mode_without_api(self):
        worker = Worker(self.directory, launch=LAUNCH_WITHOUT_API, interpreters='sub',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}],
                        importScripts=[{'path': self.marker, 'applicationGroup': 'a'},
                                       {'path': self.main_marker, 'applicationGroup': ''}])
        self.addCleanup(worker.stop)
        events = worker.events
        self.assertEqual([(e['event'], e.get('applicationGroup')) for e in events],
                         [('import', ''), ('group-failed', 'a'), ('ready', None)])
        self.assertIn('sub-interpreters are unavailable in Python %s' % platform.python_version(),
                      events[1]['error'])
        self.assertEqual(events[-1]['interpreters'], 'main')
        worker.wait_for_log('[wsgi:error]')
        worker.wait_for_log('Sub-interpreters are unavailable in Python %s'
                            % platform.python_version())
        self.assertFalse(os.path.exists(self.socket_of('a')))
        worker.command(cmd='add-group', name='b', socket=self.socket_of('b'))
        event = worker.next_event()
        self.assertEqual((event['event'], event['applicationGroup']), ('group-failed', 'b'))
        conn = worker.connect()
        self.addCleanup(conn.close)
        info = eval(body_of(exchange(conn, self.environ('info', ''))))
        self.assertEqual((info['main_marker'], info['marker']), (True, False))

    def test_main_mode_refuses_groups(self):
        worker = Worker(self.directory, interpreters='main',
                        applicationGroups=[{'name': 'a', 'socket': self.socket_of('a')}])
        events = worker.events
        self.assertEqual([(e['event'], e.get('applicationGroup')) for e in events],
                         [('group-failed', 'a'), ('ready', None)])
        self.assertEqual(events[-1]['interpreters'], 'main')
        worker.command(cmd='add-group', name='b', socket=self.socket_of('b'))
        self.assertEqual(worker.next_event()['event'], 'group-failed')
        self.assertEqual(worker.stop(), 0)


class PiecesTest(unittest.TestCase):

    def test_settings_round_trip(self):
        text = ('{"socket": "/s", "processGroup": "p", "applicationGroup": "", "threads": 3, '
                '"importScripts": [{"path": "/i.py", "applicationGroup": "a"}], '
                '"pythonPath": ["/x"], "home": null, "logLevel": "info", "multiprocess": true, '
                '"multithread": true, "runOnce": false, "umask": 18, "locale": null, '
                '"interpreters": "sub", "applicationGroups": [{"name": "a", "socket": "/s.a"}]}')
        settings = settings_module.parse(text)
        self.assertEqual(settings.interpreters, 'sub')
        self.assertEqual(settings.application_groups, (('a', '/s.a'),))
        self.assertEqual(settings_module.parse(settings_module.dump(settings)), settings)

    def test_settings_defaults_and_bad_mode(self):
        text = ('{"socket": "/s", "processGroup": "p", "applicationGroup": "", "threads": 1, '
                '"importScripts": [], "pythonPath": [], "home": null, "logLevel": "info", '
                '"multiprocess": true, "multithread": false, "runOnce": false, "umask": null, '
                '"locale": null%s}')
        settings = settings_module.parse(text % '')
        self.assertEqual((settings.interpreters, settings.application_groups), ('main', ()))
        with self.assertRaisesRegex(ValueError, 'interpreters must be "main" or "sub"'):
            settings_module.parse(text % ', "interpreters": "both"')

    def test_control_lines_fit_in_pipe_buf(self):
        line = encode_line('import', dict(script='/x.py', ok=False, error='\u00e9"\n' * 5000))
        self.assertLessEqual(len(line), PIPE_BUF)
        self.assertGreater(len(line), PIPE_BUF - 10)
        self.assertTrue(json.loads(line)['error'].endswith('...'))
        short = encode_line('ready', dict(pid=1))
        self.assertEqual(short, b'{"event": "ready", "pid": 1}\n')

    def test_subinterpreter_import_errors(self):
        self.assertEqual(subinterpreter_import_error(ImportError(
            'module _x does not support loading in subinterpreters')), "Python module '_x'")
        self.assertEqual(subinterpreter_import_error(ImportError(
            'PyO3 modules do not yet support subinterpreters, see '
            'https://github.com/PyO3/pyo3/issues/576', name='pydantic_core._pydantic_core')),
            "Python module 'pydantic_core._pydantic_core'")
        try:
            try:
                from json import decoder, no_such_extension  # noqa: F401
            except ImportError as exc:
                error = ImportError('cannot load module more than once per process')
                error.__traceback__ = exc.__traceback__
                raise RuntimeError('wrapped') from error
        except RuntimeError as exc:
            self.assertEqual(subinterpreter_import_error(exc), "Python module 'json.no_such_extension'")
        try:
            raise ImportError('this module can only be loaded into one interpreter per process')
        except ImportError as exc:
            self.assertEqual(subinterpreter_import_error(exc),
                             "A Python module imported by '%s'" % __name__)
        self.assertIsNone(subinterpreter_import_error(ImportError('No module named x')))
        self.assertIsNone(subinterpreter_import_error(ValueError('subinterpreters')))


if __name__ == '__main__':
    unittest.main()
