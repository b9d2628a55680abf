"""The worker's settings, passed by the supervisor as JSON in TSWSGI_WORKER.

Keys are those of WorkerSettings in src/process/worker-settings.ts.
"""

import collections
import json
import os

ImportScript = collections.namedtuple('ImportScript', 'path application_group')

Settings = collections.namedtuple('Settings', [
    'socket', 'process_group', 'application_group', 'threads', 'import_scripts', 'python_path',
    'home', 'log_level', 'multiprocess', 'multithread', 'run_once', 'umask', 'locale',
])


def parse(text):
    try:
        data = json.loads(text)
        return Settings(
            socket=data['socket'],
            process_group=data['processGroup'],
            application_group=data['applicationGroup'],
            threads=int(data['threads']),
            import_scripts=tuple(
                ImportScript(item['path'], item['applicationGroup'])
                for item in data['importScripts']),
            python_path=tuple(data['pythonPath']),
            home=data['home'],
            log_level=data['logLevel'],
            multiprocess=bool(data['multiprocess']),
            multithread=bool(data['multithread']),
            run_once=bool(data['runOnce']),
            umask=data['umask'],
            locale=data['locale'],
        )
    except KeyError as exc:
        raise ValueError('TSWSGI_WORKER: missing key %s' % exc) from None
    except (TypeError, ValueError) as exc:
        raise ValueError('TSWSGI_WORKER: invalid settings: %s' % exc) from None


def from_environment(environ=os.environ):
    text = environ.get('TSWSGI_WORKER')
    if text is None:
        raise ValueError('TSWSGI_WORKER is not set')
    return parse(text)
