"""The real worker process, driven over its socket with frames."""

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

from tswsgi_worker.framing import (WHOLE_FRAME_LIMIT, FrameDecoder, decode_head, encode_block,
                                   encode_frame)

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCH = ("import sys; sys.path.insert(0, %r); import tswsgi_worker.main as m; "
          "sys.path.remove(%r); m.main()" % (PYTHON_DIR, PYTHON_DIR))

APPS = '''
import os, sys, threading, time

def hello(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'Hello World!']

def echo_environ(environ, start_response):
    keys = ['wsgi.version', 'mod_wsgi.thread_id', 'wsgi.url_scheme',
            'wsgi.input_terminated', 'mod_wsgi.total_requests',
            'mod_wsgi.thread_requests', 'mod_wsgi.script_start', 'mod_wsgi.version',
            'wsgi.multithread', 'wsgi.run_once', 'REQUEST_METHOD']
    values = {key: repr(environ.get(key)) for key in keys}
    values['cwd'] = os.getcwd()
    values['argv'] = repr(sys.argv)
    values['name'] = __name__
    values['imported'] = repr(sys.modules.get('good_import_marker'))
    start_response('200 OK', [])
    return [repr(values).encode()]

def echo_keys(environ, start_response):
    keys = environ['QUERY_STRING'].split(',')
    start_response('200 OK', [])
    return [repr({key: environ.get(key) for key in keys}).encode()]

def read_pieces(environ, start_response):
    body = environ['wsgi.input']
    pieces = []
    while True:
        piece = body.read(3)
        if not piece:
            break
        pieces.append(piece)
    start_response('200 OK', [])
    return [b'|'.join(pieces)]

def read_all(environ, start_response):
    data = environ['wsgi.input'].read()
    start_response('200 OK', [])
    return [data, b'/', environ['wsgi.input'].read()]

def read_lines(environ, start_response):
    body = environ['wsgi.input']
    first = body.readline()
    short = body.readline(2)
    rest = list(body)
    start_response('200 OK', [])
    return [repr([first, short] + rest).encode()]

def read_error(environ, start_response):
    messages = []
    for _ in range(2):
        try:
            environ['wsgi.input'].read()
        except OSError as exc:
            messages.append(str(exc))
    start_response('200 OK', [])
    return ['\\n'.join(messages).encode()]

def bad_status(environ, start_response):
    start_response('200', [])
    return [b'x']

def crlf_header(environ, start_response):
    start_response('200 OK', [('X-Bad', 'a\\r\\nb')])
    return [b'x']

def huge_head(environ, start_response):
    start_response('200 OK', [('X-Big-%d' % i, 'v' * 1000) for i in range(1100)])
    return [b'x']

def huge_error(environ, start_response):
    raise ValueError('e' * (2 * 1024 * 1024))

def str_body(environ, start_response):
    start_response('200 OK', [])
    return ['text']

def truncated(environ, start_response):
    start_response('200 OK', [('Content-Length', '3')])
    return [b'abcdef', b'ghi']

def same_head(environ, start_response):
    # QUERY_STRING picks a variant of one head: as sent before, with its header as a
    # list, or with a Content-Length mod_wsgi refuses.
    variant = environ.get('QUERY_STRING')
    if variant == 'list':
        header = ['Content-Length', ' 3']
    elif variant == 'bad-length':
        header = ('Content-Length', 'three')
    else:
        header = ('Content-Length', ' 3')
    start_response('200 OK', [header])
    return [b'abcdef']


def writer(environ, start_response):
    write = start_response('200 OK', [])
    write(b'one ')
    write(b'two ')
    return [b'three']

class Closing:
    closed = 0
    def __init__(self):
        self.items = [b'a', b'b']
    def __iter__(self):
        return iter(self.items)
    def close(self):
        Closing.closed += 1

def closing(environ, start_response):
    start_response('200 OK', [])
    return Closing()

def close_count(environ, start_response):
    start_response('200 OK', [])
    return [str(Closing.closed).encode()]

def exc_info_after_body(environ, start_response):
    write = start_response('200 OK', [])
    write(b'partial')
    try:
        raise KeyError('late failure')
    except KeyError:
        start_response('500 Oops', [], sys.exc_info())
    return [b'never']

def exc_info_before_body(environ, start_response):
    start_response('200 OK', [('X-First', '1')])
    try:
        raise KeyError('early failure')
    except KeyError:
        start_response('503 Service Unavailable', [('X-Second', '2')], sys.exc_info())
    return [b'replaced']

def file_wrapper(environ, start_response):
    start_response('200 OK', [])
    return environ['wsgi.file_wrapper'](open(environ['DATA_FILE'], 'rb'), 4096)

def file_wrapper_offset(environ, start_response):
    handle = open(environ['DATA_FILE'], 'rb')
    handle.seek(10)
    start_response('200 OK', [('Content-Length', '20')])
    return environ['wsgi.file_wrapper'](handle)

def slow(environ, start_response):
    print('slow began')
    time.sleep(1.0)
    start_response('200 OK', [])
    return [b'slow']

_both = threading.Barrier(2)

def together(environ, start_response):
    # Returns once a second request is in here too: requests run one after the other never meet.
    _both.wait(timeout=30)
    start_response('200 OK', [])
    return [b'together']

def print_to_log(environ, start_response):
    print('printed to stdout')
    environ['wsgi.errors'].write('to wsgi.errors\\n')
    start_response('200 OK', [])
    return [b'']
'''

GOOD_IMPORT = '''
import sys, types
sys.modules['good_import_marker'] = types.ModuleType('good_import_marker')
'''

BAD_IMPORT = '''
def broken():
    raise ZeroDivisionError('import script failed')
broken()
'''


class Worker:
    """A worker subprocess with its control pipe, stdin and captured stderr."""

    def __init__(self, directory, launch=LAUNCH, **overrides):
        self.socket_path = os.path.join(directory, 'worker-%d.sock' % id(self))
        self.log_path = os.path.join(directory, 'worker-%d.log' % id(self))
        settings = dict(socket=self.socket_path, processGroup='test', applicationGroup='', threads=1,
                        importScripts=[], pythonPath=[], home=directory,
                        logLevel='info', multiprocess=False, multithread=False,
                        runOnce=False, umask=None, locale=None)
        settings.update(overrides)
        control_read, control_write = os.pipe()
        self._log_file = open(self.log_path, 'wb')
        # The control pipe must be fd 3 in the worker: dup2 it there after the
        # fork; close_fds=False keeps it (our own pipe ends are not inheritable).
        self.process = subprocess.Popen(
            [sys.executable, '-u', '-c', launch],
            env=dict(os.environ, TSWSGI_WORKER=json.dumps(settings)),
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log_file,
            close_fds=False, preexec_fn=lambda: os.dup2(control_write, 3))
        os.close(control_write)
        self.control = os.fdopen(control_read, 'rb', buffering=0)
        self._pending = b''
        self.events = []
        while True:
            self.events.append(self.next_event())
            if self.events[-1]['event'] == 'ready':
                break

    def next_event(self, timeout=20):
        """The next JSON line from the worker's fd 3."""
        deadline = time.monotonic() + timeout
        while b'\n' not in self._pending:
            ready, _, _ = select.select([self.control], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise AssertionError('no event from the worker; log:\n' + self.log())
            data = self.control.read(65536)
            if not data:
                raise AssertionError('worker exited; log:\n' + self.log())
            self._pending += data
        line, self._pending = self._pending.split(b'\n', 1)
        return json.loads(line)

    def command(self, **message):
        self.process.stdin.write(json.dumps(message).encode() + b'\n')
        self.process.stdin.flush()

    def connect(self, path=None):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(20)
        conn.connect(path or self.socket_path)
        return conn

    def log(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as file:
            return file.read()

    def wait_for_log(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise AssertionError('%r not in log:\n%s' % (text, self.log()))
            time.sleep(0.02)

    def stop(self):
        if not self.process.stdin.closed:
            self.process.stdin.close()
        code = self.process.wait(10)
        self.control.close()
        self._log_file.close()
        return code


def strings(environ):
    return encode_block([s for pair in environ.items() for s in pair])


def exchange(conn, environ, body_frames=(('E', b''),), constant=None):
    """Send one request (after a C frame with `constant`, if given), return its response frames up to Z or X."""
    frames = [] if constant is None else [encode_frame('C', strings(constant))]
    frames.append(encode_frame('R', strings(environ)))
    frames += [encode_frame(type, payload) for type, payload in body_frames]
    conn.sendall(b''.join(frames))
    decoder = FrameDecoder()
    received = []
    while not received or received[-1][0] not in 'ZX':
        data = conn.recv(65536)
        if not data:
            raise AssertionError('connection closed after %r' % received)
        received.extend(decoder.feed(data))
    return received


def body_of(frames):
    return b''.join(payload for type, payload in frames if type == 'D')


class WorkerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix='tswsgi-test-')
        cls.script = os.path.join(cls.directory, 'apps.wsgi')
        cls.data_file = os.path.join(cls.directory, 'data.bin')
        cls.bad_import = os.path.join(cls.directory, 'bad_import.py')
        cls.missing_import = os.path.join(cls.directory, 'missing_import.py')
        cls.good_import = os.path.join(cls.directory, 'good_import.py')
        files = {cls.script: APPS, cls.bad_import: BAD_IMPORT, cls.good_import: GOOD_IMPORT}
        for path, text in files.items():
            with open(path, 'w') as file:
                file.write(textwrap.dedent(text))
        with open(cls.data_file, 'wb') as file:
            file.write(bytes(range(256)) * 100)
        cls.worker = Worker(cls.directory, threads=2, multithread=True, importScripts=[
            {'path': cls.bad_import, 'applicationGroup': ''},
            {'path': cls.missing_import, 'applicationGroup': ''},
            {'path': cls.good_import, 'applicationGroup': ''},
            {'path': cls.script, 'applicationGroup': ''},
            {'path': cls.good_import, 'applicationGroup': ''},
        ])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.exit_code = cls.worker.stop()
        finally:
            shutil.rmtree(cls.directory)

    def setUp(self):
        self.conn = self.worker.connect()
        self.addCleanup(self.conn.close)

    def environ(self, callable_object, **extra):
        environ = {'REQUEST_METHOD': 'GET', 'SCRIPT_FILENAME': self.script,
                   'mod_wsgi.application_group': '', 'mod_wsgi.callable_object': callable_object,
                   'REMOTE_ADDR': '127.0.0.1', 'REMOTE_PORT': '4242'}
        environ.update(extra)
        return environ

    def call(self, callable_object, body_frames=(('E', b''),), **extra):
        return exchange(self.conn, self.environ(callable_object, **extra), body_frames)

    def assertFailed(self, frames):
        self.assertEqual([type for type, _ in frames], ['X'])

    def test_hello(self):
        frames = self.call('hello')
        self.assertEqual(frames[0][0], 'H')
        self.assertEqual(decode_head(frames[0][1]),
                         ('200 OK', [('Content-Type', 'text/plain')]))
        self.assertEqual(frames[1:], [('D', b'Hello World!'), ('Z', b'')])

    def test_environ(self):
        values = eval(body_of(self.call('echo_environ', **{'wsgi.url_scheme': 'https'})))
        self.assertEqual(values['wsgi.version'], '(1, 0)')
        self.assertIn(values['mod_wsgi.thread_id'], ('1', '2'))
        self.assertEqual(values['wsgi.url_scheme'], "'https'")
        self.assertEqual(values['wsgi.input_terminated'], 'True')
        self.assertEqual(values['mod_wsgi.version'], '(4, 9, 4)')
        self.assertEqual(values['wsgi.multithread'], 'True')
        self.assertEqual(values['wsgi.run_once'], 'False')
        self.assertTrue(eval(values['mod_wsgi.script_start']).isdigit())
        self.assertIsInstance(eval(values['mod_wsgi.total_requests']), int)
        self.assertEqual(values['cwd'], os.path.realpath(self.directory))
        self.assertEqual(values['argv'], "['mod_wsgi']")
        self.assertTrue(values['name'].startswith('_mod_wsgi_'))
        # The import script ran in the same interpreter.
        self.assertNotEqual(values['imported'], 'None')
        plain = eval(body_of(self.call('echo_environ')))
        self.assertEqual(plain['wsgi.url_scheme'], "'http'")

    def test_constant_environ_part(self):
        keys = 'DOCUMENT_ROOT,wsgi.url_scheme,REQUEST_METHOD,SCRIPT_FILENAME'
        request = {'REQUEST_METHOD': 'GET', 'QUERY_STRING': keys, 'REMOTE_ADDR': '127.0.0.1'}
        first = {'DOCUMENT_ROOT': '/first', 'wsgi.url_scheme': 'https', 'SCRIPT_FILENAME': self.script,
                 'mod_wsgi.application_group': '', 'mod_wsgi.callable_object': 'echo_keys'}
        got = lambda frames: eval(body_of(frames))
        self.assertEqual(got(exchange(self.conn, request, constant=first)),
                         {'DOCUMENT_ROOT': '/first', 'wsgi.url_scheme': 'https',
                          'REQUEST_METHOD': 'GET', 'SCRIPT_FILENAME': self.script})
        # The C frame holds for the requests after it; the R frame's strings win over it.
        again = got(exchange(self.conn, dict(request, **{'wsgi.url_scheme': 'http', 'REQUEST_METHOD': 'POST'})))
        self.assertEqual(again['DOCUMENT_ROOT'], '/first')
        self.assertEqual(again['wsgi.url_scheme'], 'http')
        self.assertEqual(again['REQUEST_METHOD'], 'POST')
        # A new C frame replaces the last one whole: none of its keys stay behind.
        second = {'DOCUMENT_ROOT': '/second', 'SCRIPT_FILENAME': self.script,
                  'mod_wsgi.application_group': '', 'mod_wsgi.callable_object': 'echo_keys'}
        third = got(exchange(self.conn, request, constant=second))
        self.assertEqual(third['DOCUMENT_ROOT'], '/second')
        self.assertEqual(third['wsgi.url_scheme'], 'http')

    def test_post_body_in_pieces(self):
        frames = self.call('read_pieces', body_frames=[('B', b'hello'), ('B', b' wor'),
                                                      ('B', b'ld'), ('E', b'')],
                           REQUEST_METHOD='POST', CONTENT_LENGTH='11')
        self.assertEqual(body_of(frames), b'hel|lo |wor|ld')

    def test_read_all(self):
        frames = self.call('read_all', body_frames=[('B', b'abc'), ('B', b'def'), ('E', b'')])
        self.assertEqual(body_of(frames), b'abcdef/')

    def test_readline(self):
        frames = self.call('read_lines', body_frames=[('B', b'first\nse'), ('B', b'cond\nthi'),
                                                     ('B', b'rd\nlast'), ('E', b'')])
        self.assertEqual(eval(body_of(frames)),
                         [b'first\n', b'se', b'cond\n', b'third\n', b'last'])

    def test_abort_frame(self):
        frames = self.call('read_error', body_frames=[('B', b'abc'), ('A', b'client gone')])
        self.assertEqual(body_of(frames).decode().split('\n'), [
            'tswsgi request data read error: client gone',
            'tswsgi request data read error: Input is already in error state.'])

    def test_bad_status(self):
        self.assertFailed(self.call('bad_status'))
        self.worker.wait_for_log('ValueError: no space following status code')
        self.worker.wait_for_log("Exception occurred processing WSGI script '%s'." % self.script)

    def test_crlf_in_header_value(self):
        self.assertFailed(self.call('crlf_header'))
        self.worker.wait_for_log(
            'ValueError: carriage return/line feed character present in header value')

    def test_head_over_the_front_ends_limit_is_an_error(self):
        self.assertFailed(self.call('huge_head'))
        self.worker.wait_for_log('ValueError: response headers of ')

    def test_failure_message_is_cut_to_the_front_ends_limit(self):
        frames = self.call('huge_error')
        self.assertFailed(frames)
        self.assertEqual(len(frames[0][1]), WHOLE_FRAME_LIMIT)
        self.assertTrue(frames[0][1].startswith(b'500 ValueError: eee'))

    def test_str_body(self):
        self.assertFailed(self.call('str_body'))
        self.worker.wait_for_log('TypeError: sequence of byte string values expected, '
                                 'value of type str found')

    def test_content_length_truncates(self):
        frames = self.call('truncated')
        self.assertEqual(decode_head(frames[0][1]), ('200 OK', [('Content-Length', '3')]))
        self.assertEqual(body_of(frames), b'abc')
        self.assertEqual(frames[-1], ('Z', b''))

    def test_repeated_head_is_checked_and_normalised_every_time(self):
        for _ in range(3):
            frames = self.call('same_head')
            self.assertEqual(decode_head(frames[0][1]), ('200 OK', [('Content-Length', '3')]))
            self.assertEqual(body_of(frames), b'abc')
        # The same names and values in a form start_response refuses are still refused.
        self.assertFailed(self.call('same_head', QUERY_STRING='list'))
        self.worker.wait_for_log('TypeError: list of tuple values expected for headers, value of type list found')
        for _ in range(2):
            self.assertFailed(self.call('same_head', QUERY_STRING='bad-length'))
        self.worker.wait_for_log('ValueError: invalid content length')

    def test_write_callable(self):
        frames = self.call('writer')
        self.assertEqual([type for type, _ in frames], ['H', 'D', 'D', 'D', 'Z'])
        self.assertEqual(body_of(frames), b'one two three')

    def test_close_called_once(self):
        before = int(body_of(self.call('close_count')))
        self.assertEqual(body_of(self.call('closing')), b'ab')
        self.assertEqual(int(body_of(self.call('close_count'))), before + 1)

    def test_exc_info_after_body_reraises(self):
        frames = self.call('exc_info_after_body')
        self.assertEqual([type for type, _ in frames], ['H', 'D', 'X'])
        self.assertEqual(decode_head(frames[0][1])[0], '200 OK')
        self.worker.wait_for_log("KeyError: 'late failure'")

    def test_exc_info_before_body_replaces(self):
        frames = self.call('exc_info_before_body')
        self.assertEqual(decode_head(frames[0][1]),
                         ('503 Service Unavailable', [('X-Second', '2')]))
        self.assertEqual(body_of(frames), b'replaced')

    def test_file_wrapper(self):
        with open(self.data_file, 'rb') as file:
            expected = file.read()
        frames = self.call('file_wrapper', DATA_FILE=self.data_file)
        self.assertEqual(decode_head(frames[0][1]),
                         ('200 OK', [('Content-Length', str(len(expected)))]))
        self.assertEqual(body_of(frames), expected)
        frames = self.call('file_wrapper_offset', DATA_FILE=self.data_file)
        self.assertEqual(body_of(frames), expected[10:30])

    def test_missing_script(self):
        missing = os.path.join(self.directory, 'nothing.wsgi')
        frames = self.call('hello', SCRIPT_FILENAME=missing)
        # The front end makes Apache's error page for the status the X frame starts with.
        self.assertEqual([type for type, _ in frames], ['X'])
        self.assertTrue(frames[0][1].startswith(b'404 '))
        self.worker.wait_for_log('Target WSGI script not found or unable to stat: ' + missing)

    def test_missing_callable(self):
        # A daemon process group answers 500, as mod_wsgi's daemon mode does...
        self.assertFailed(self.call('no_such_app', **{'mod_wsgi.process_group': 'daemon'}))
        self.worker.wait_for_log("Target WSGI script '%s' does not contain WSGI "
                                 "application 'no_such_app'." % self.script)
        # ...and the server's own pool 404, as its embedded mode does.
        frames = self.call('no_such_app', **{'mod_wsgi.process_group': ''})
        self.assertEqual([type for type, _ in frames], ['X'])
        self.assertTrue(frames[0][1].startswith(b'404 '))

    def test_import_scripts(self):
        events = self.worker.events
        self.assertEqual([e['event'] for e in events], ['import'] * 5 + ['ready'])
        self.assertEqual([e['ok'] for e in events[:5]], [False, False, True, True, True])
        self.assertIn('ZeroDivisionError: import script failed', events[0]['error'])
        self.assertIn('FileNotFoundError', events[1]['error'])
        self.assertNotIn('error', events[2])
        self.assertEqual(events[5]['interpreters'], 'main')
        self.assertEqual(events[5]['pid'], self.worker.process.pid)
        # A script named twice is loaded once, as mod_wsgi does.
        with open(self.worker.log_path) as log:
            self.assertEqual(log.read().count("Loading Python script file '%s'." % self.good_import), 1)
        self.worker.wait_for_log(
            "mod_wsgi (pid=%d, process='test', application=''): Loading Python script "
            "file '%s'." % (self.worker.process.pid, self.bad_import))
        self.worker.wait_for_log("Failed to exec Python script file '%s'." % self.bad_import)
        self.worker.wait_for_log("Exception occurred processing WSGI script '%s'."
                                 % self.bad_import)
        self.worker.wait_for_log('ZeroDivisionError: import script failed')
        self.worker.wait_for_log('in broken')  # the traceback
        self.worker.wait_for_log("Could not read/compile source file '%s'." % self.missing_import)
        self.worker.wait_for_log('FileNotFoundError')
        # Requests are still served afterwards.
        self.assertEqual(body_of(self.call('hello')), b'Hello World!')

    def test_script_raising_at_load(self):
        self.assertFailed(self.call('application', SCRIPT_FILENAME=self.bad_import))
        self.worker.wait_for_log("Failed to exec Python script file '%s'." % self.bad_import)

    def test_keep_alive(self):
        self.assertEqual(body_of(self.call('hello')), b'Hello World!')
        # A body the app never reads is skipped before the next request.
        self.call('hello', body_frames=[('B', b'unread'), ('E', b'')])
        self.assertEqual(body_of(self.call('read_all', body_frames=[('B', b'x'), ('E', b'')])),
                         b'x/')

    def test_log_streams(self):
        self.call('print_to_log')
        self.worker.wait_for_log('[remote 127.0.0.1:4242] printed to stdout')
        self.worker.wait_for_log('[wsgi:error]')
        self.worker.wait_for_log('to wsgi.errors')

    def test_two_threads_serve_at_once(self):
        other = self.worker.connect()
        self.addCleanup(other.close)
        results = []
        thread = threading.Thread(target=lambda: results.append(
            exchange(other, self.environ('together'))))
        thread.start()
        results.append(self.call('together'))
        thread.join()
        self.assertEqual([body_of(frames) for frames in results], [b'together', b'together'])

    def test_protocol_error_closes_connection(self):
        self.conn.sendall(encode_frame('D', b'not from the front end'))
        self.assertEqual(self.conn.recv(100), b'')
        self.worker.wait_for_log('Protocol error')
        conn = self.worker.connect()
        self.addCleanup(conn.close)
        self.assertEqual(body_of(exchange(conn, self.environ('hello'))), b'Hello World!')


class LifecycleTest(unittest.TestCase):

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix='tswsgi-test-')
        self.addCleanup(shutil.rmtree, self.directory)
        self.script = os.path.join(self.directory, 'apps.wsgi')
        with open(self.script, 'w') as file:
            file.write(textwrap.dedent(APPS))

    def environ(self, callable_object, **extra):
        environ = {'SCRIPT_FILENAME': self.script, 'mod_wsgi.application_group': '',
                   'mod_wsgi.callable_object': callable_object}
        environ.update(extra)
        return environ

    def test_stdin_eof_waits_for_requests_in_progress(self):
        worker = Worker(self.directory)
        conn = worker.connect()
        self.addCleanup(conn.close)
        self.assertEqual(body_of(exchange(conn, self.environ('hello'))), b'Hello World!')
        results = []
        thread = threading.Thread(target=lambda: results.append(
            exchange(conn, self.environ('slow'))))
        thread.start()
        worker.wait_for_log('slow began')
        self.assertEqual(worker.stop(), 0)
        thread.join()
        self.assertEqual(body_of(results[0]), b'slow')

    def test_mod_wsgi_module_and_its_shutdown_callbacks(self):
        record = os.path.join(self.directory, 'shutdown.json')
        script = os.path.join(self.directory, 'subscribe.py')
        with open(script, 'w') as file:
            file.write(textwrap.dedent('''
                import json, mod_wsgi
                def stopping(event, **details):
                    with open(%r, 'w') as out:
                        json.dump(dict(event=event, details=details, module=[
                            mod_wsgi.version, mod_wsgi.process_group, mod_wsgi.application_group,
                            mod_wsgi.maximum_processes, mod_wsgi.threads_per_process]), out)
                mod_wsgi.subscribe_shutdown(stopping)
            ''' % record))
        worker = Worker(self.directory, threads=3, processes=4,
                        importScripts=[{'path': script, 'applicationGroup': ''}])
        self.assertTrue(worker.events[0]['ok'], worker.events[0])
        self.assertFalse(os.path.exists(record), 'not before the process stops')
        self.assertEqual(worker.stop(), 0)
        with open(record) as file:
            self.assertEqual(json.load(file), {
                'event': 'process_stopping', 'details': {'shutdown_reason': ''},
                'module': [[4, 9, 4], 'test', '', 4, 3]})

    def test_sigterm_exits_at_once(self):
        worker = Worker(self.directory)
        started = time.monotonic()
        worker.process.terminate()
        self.assertEqual(worker.process.wait(10), 0)
        self.assertLess(time.monotonic() - started, 2)
        worker.stop()

    def test_changed_script_is_not_reloaded_in_place(self):
        # The supervisor replaces the process instead (test/restart.test.ts): reloading here
        # would make the request that notices the change wait for the import.
        worker = Worker(self.directory)
        self.addCleanup(worker.stop)
        conn = worker.connect()
        self.addCleanup(conn.close)
        self.assertEqual(body_of(exchange(conn, self.environ('hello'))), b'Hello World!')
        with open(self.script, 'a') as file:
            file.write('\ndef hello(environ, start_response):\n'
                       '    start_response("200 OK", [])\n'
                       '    return [b"reloaded"]\n')
        stat = os.stat(self.script)
        os.utime(self.script, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        self.assertEqual(body_of(exchange(conn, self.environ('hello'))), b'Hello World!')

    def test_process_serves_its_own_application_group(self):
        worker = Worker(self.directory, applicationGroup='other')
        self.addCleanup(worker.stop)
        conn = worker.connect()
        self.addCleanup(conn.close)
        frames = exchange(conn, self.environ('hello', **{'mod_wsgi.application_group': 'other'}))
        self.assertEqual(body_of(frames), b'Hello World!')
        frames = exchange(conn, self.environ('hello', **{'mod_wsgi.application_group': ''}))
        self.assertEqual([type for type, _ in frames], ['X'])
        worker.wait_for_log("Application group '' is not served by this process, which serves "
                            "application group 'other'.")


class RequestSocketTest(unittest.TestCase):
    """WSGIDaemonProcess listen-backlog=, send-buffer-size= and receive-buffer-size= on the request socket."""

    def setUp(self):
        self.directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.directory)

    def listening(self, **overrides):
        from tswsgi_worker import settings as settings_module
        from tswsgi_worker.server import Server
        data = dict(socket=os.path.join(self.directory, 'w.sock'), processGroup='test', applicationGroup='',
                    threads=1, importScripts=[], pythonPath=[], home=None, logLevel='info',
                    multiprocess=False, multithread=False, runOnce=False, umask=None, locale=None)
        data.update(overrides)
        server = Server(settings_module.parse(json.dumps(data)), None, None)
        server.listen()
        self.addCleanup(server._sock.close)
        return server

    def pending_connections(self, path, most):
        """How many connections the socket queues before a non-blocking connect is refused (none is accepted)."""
        count = 0
        while count < most:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.addCleanup(conn.close)
            conn.setblocking(False)
            try:
                conn.connect(path)
            except BlockingIOError:
                return count
            count += 1
        return count

    def test_listen_backlog(self):
        server = self.listening(listenBacklog=2)
        # Linux queues one more than the backlog on a UNIX socket.
        self.assertEqual(self.pending_connections(server._settings.socket, 10), 3)

    def test_default_backlog_is_not_small(self):
        server = self.listening()
        self.assertEqual(self.pending_connections(server._settings.socket, 50), 50)

    def test_buffer_sizes(self):
        server = self.listening(sendBufferSize=65536, receiveBufferSize=32768)
        # Linux doubles the value asked for, to leave room for its bookkeeping.
        self.assertEqual(server._sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF), 2 * 65536)
        self.assertEqual(server._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), 2 * 32768)
