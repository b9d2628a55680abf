"""The worker's settings, passed by the supervisor as JSON in TSWSGI_WORKER.

Keys are those of WorkerSettings in src/process/worker-settings.ts.
"""

import collections
import json
import os
import sys

# module: path is a Python module's dotted name, imported by name (start-server's
# --application-type module), rather than a script file.
ImportScript = collections.namedtuple('ImportScript', 'path application_group module')

# A sub-interpreter to create at start: its application group and request socket.
ApplicationGroup = collections.namedtuple('ApplicationGroup', 'name socket')

INTERPRETER_MODES = ('main', 'sub')

Settings = collections.namedtuple('Settings', [
    'socket', 'process_group', 'application_group', 'threads', 'import_scripts', 'python_path',
    'home', 'log_level', 'multiprocess', 'multithread', 'run_once', 'umask', 'locale',
    'interpreters', 'application_groups', 'display_name', 'stack_size', 'virtual_memory_limit',
    'listen_backlog', 'send_buffer_size', 'receive_buffer_size', 'deadlock_timeout', 'processes',
    'run_as',
])

# user=, group= and supplementary-groups= (groups None: the user's own).
RunAs = collections.namedtuple('RunAs', 'user uid gid groups')


def parse(text):
    try:
        data = json.loads(text)
        return Settings(
            socket=data['socket'],
            process_group=data['processGroup'],
            application_group=data['applicationGroup'],
            threads=int(data['threads']),
            import_scripts=tuple(
                ImportScript(item['path'], item['applicationGroup'], bool(item.get('module')))
                for item in data['importScripts']),
            python_path=tuple(data['pythonPath']),
            home=data['home'],
            log_level=data['logLevel'],
            multiprocess=bool(data['multiprocess']),
            multithread=bool(data['multithread']),
            run_once=bool(data['runOnce']),
            umask=data['umask'],
            locale=data['locale'],
            # Optional: a front end that does not send them gets today's behaviour.
            interpreters=_mode(data.get('interpreters', 'main')),
            application_groups=tuple(
                ApplicationGroup(item['name'], item['socket'])
                for item in data.get('applicationGroups', ())),
            display_name=data.get('displayName'),
            stack_size=data.get('stackSize'),
            virtual_memory_limit=data.get('virtualMemoryLimit'),
            listen_backlog=data.get('listenBacklog'),
            send_buffer_size=data.get('sendBufferSize'),
            receive_buffer_size=data.get('receiveBufferSize'),
            deadlock_timeout=data.get('deadlockTimeout', 0),
            processes=int(data.get('processes', 1)),
            run_as=_run_as(data.get('runAs')),
        )
    except KeyError as exc:
        raise ValueError('TSWSGI_WORKER: missing key %s' % exc) from None
    except (TypeError, ValueError) as exc:
        raise ValueError('TSWSGI_WORKER: invalid settings: %s' % exc) from None


def _run_as(data):
    if data is None:
        return None
    groups = data['groups']
    return RunAs(data['user'], int(data['uid']), int(data['gid']),
                 None if groups is None else tuple(int(gid) for gid in groups))


def _mode(value):
    if value not in INTERPRETER_MODES:
        raise ValueError('interpreters must be "main" or "sub", not %r' % (value,))
    return value


def dump(settings):
    """The settings as TSWSGI_WORKER JSON again (parse(dump(s)) == s)."""
    return json.dumps({
        'socket': settings.socket,
        'processGroup': settings.process_group,
        'applicationGroup': settings.application_group,
        'threads': settings.threads,
        'importScripts': [dict({'path': script.path, 'applicationGroup': script.application_group},
                               **({'module': True} if script.module else {}))
                          for script in settings.import_scripts],
        'pythonPath': list(settings.python_path),
        'home': settings.home,
        'logLevel': settings.log_level,
        'multiprocess': settings.multiprocess,
        'multithread': settings.multithread,
        'runOnce': settings.run_once,
        'umask': settings.umask,
        'locale': settings.locale,
        'interpreters': settings.interpreters,
        'applicationGroups': [{'name': group.name, 'socket': group.socket}
                              for group in settings.application_groups],
        'displayName': settings.display_name,
        'stackSize': settings.stack_size,
        'virtualMemoryLimit': settings.virtual_memory_limit,
        'listenBacklog': settings.listen_backlog,
        'sendBufferSize': settings.send_buffer_size,
        'receiveBufferSize': settings.receive_buffer_size,
        'deadlockTimeout': settings.deadlock_timeout,
        'processes': settings.processes,
        'runAs': None if settings.run_as is None else dict(
            settings.run_as._asdict(),
            groups=None if settings.run_as.groups is None else list(settings.run_as.groups)),
    })


def from_environment(environ=os.environ):
    text = environ.get('TSWSGI_WORKER')
    if text is None:
        raise ValueError('TSWSGI_WORKER is not set')
    return parse(text)


def python_version():
    """platform.python_version(), without importing platform (1.3 MiB a process)."""
    return sys.version.split()[0]
