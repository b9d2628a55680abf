// The options of WSGIDaemonProcess, one table that parses, validates (with
// mod_wsgi's messages) and documents them.

import { parseSeconds } from './seconds';

export type DaemonOptionKind =
  | { type: 'count'; min: number; max?: number }
  | { type: 'seconds' }
  | { type: 'bytes'; minimum: number; message: string }
  | { type: 'text' }
  | { type: 'path'; absolute: boolean }
  | { type: 'octal' }
  | { type: 'flag' };

export interface DaemonOptionSpec {
  name: string;
  kind: DaemonOptionKind;
  /** The words of mod_wsgi's message: "Invalid <label> for WSGI daemon process." */
  label: string;
  default: string;
  description: string;
}

const seconds = (name: string, label: string, def: string, description: string): DaemonOptionSpec =>
  ({ name, kind: { type: 'seconds' }, label, default: def, description });
const text = (name: string, label: string, description: string, def = 'unset'): DaemonOptionSpec =>
  ({ name, kind: { type: 'text' }, label, default: def, description });

export const DAEMON_OPTIONS: readonly DaemonOptionSpec[] = [
  { name: 'processes', kind: { type: 'count', min: 1 }, label: 'process count', default: '1', description: 'Number of processes. Giving it at all, even =1, makes wsgi.multiprocess True.' },
  { name: 'threads', kind: { type: 'count', min: 0, max: 65533 }, label: 'thread count', default: '15', description: 'Request threads per process; wsgi.multithread is threads != 1.' },
  text('display-name', 'display name', 'Process title; %{GROUP} becomes (wsgi:NAME).'),
  text('user', 'user', 'User the processes run as (when tswsgi starts as root).', 'User'),
  text('group', 'group', 'Group the processes run as (when tswsgi starts as root).', 'Group'),
  text('supplementary-groups', 'supplementary groups', 'Comma-separated supplementary groups (names or #gid); without it, the user\'s own groups (initgroups).'),
  { name: 'umask', kind: { type: 'octal' }, label: 'umask', default: 'inherited', description: 'umask of the processes, in octal.' },
  { name: 'chroot', kind: { type: 'path', absolute: true }, label: 'chroot directory', default: 'unset', description: 'chroot jail (deprecated in mod_wsgi). Accepted; no effect yet.' },
  { name: 'home', kind: { type: 'path', absolute: true }, label: 'home directory', default: 'unset', description: 'Working directory, and sys.path[0] in every interpreter of the group.' },
  text('lang', 'lang', 'LANG in the processes\' environment.'),
  text('locale', 'locale', 'LC_ALL in the processes\' environment, and setlocale().'),
  text('python-home', 'python home', 'Python prefix or virtual environment; its interpreter runs the group.', 'WSGIPythonHome'),
  text('python-path', 'python path', 'Colon-separated directories put at the front of sys.path (with .pth files honoured).'),
  text('python-eggs', 'python eggs', 'PYTHON_EGG_CACHE of the processes.'),
  { name: 'stack-size', kind: { type: 'count', min: 1 }, label: 'stack size', default: 'OS default', description: 'Stack size in bytes of each request thread.' },
  { name: 'maximum-requests', kind: { type: 'count', min: 0 }, label: 'request count', default: '0', description: 'Replace a process after this many requests (0: never).' },
  seconds('startup-timeout', 'startup timeout', '0', 'Seconds a process may take to load its scripts and become ready; when set, also how long a request waits for a group whose processes die at start (instead of connect-timeout).'),
  seconds('shutdown-timeout', 'shutdown timeout', '5', 'Seconds a stopping process may take before it is killed.'),
  seconds('deadlock-timeout', 'deadlock timeout', '300', 'Seconds the Python GIL may stay held before the process is killed and replaced (0: never).'),
  seconds('inactivity-timeout', 'inactivity timeout', '0', 'Replace a process idle this long (0: never).'),
  seconds('request-timeout', 'request timeout', '0', 'Seconds a request may run (0: no limit).'),
  seconds('graceful-timeout', 'graceful timeout', '15', 'Seconds a process being replaced may keep serving its requests.'),
  seconds('eviction-timeout', 'eviction timeout', '0', 'Grace period on a graceful signal, instead of graceful-timeout.'),
  seconds('restart-interval', 'restart interval', '0', 'Replace a process after it has lived this long (0: never).'),
  seconds('connect-timeout', 'connect timeout', '15', 'Seconds to wait for a connection to a process, and how long a request waits for a group whose processes die at start before it gets 503.'),
  seconds('socket-timeout', 'socket timeout', '0', 'Seconds without progress on a request before it fails (0: Timeout).'),
  seconds('queue-timeout', 'queue timeout', '0', 'Seconds a request may wait for a free thread before it gets 503 (0: no limit).'),
  { name: 'listen-backlog', kind: { type: 'count', min: 0 }, label: 'listen backlog', default: 'threads, at least 128', description: 'Backlog of each process\'s request socket.' },
  { name: 'send-buffer-size', kind: { type: 'bytes', minimum: 512, message: 'Send buffer size must be >= 512 bytes, or 0 for system default.' }, label: 'send buffer size', default: '0', description: 'SO_SNDBUF of each process\'s request socket (Linux doubles it).' },
  { name: 'receive-buffer-size', kind: { type: 'bytes', minimum: 512, message: 'Receive buffer size must be >= 512 bytes, or 0 for system default.' }, label: 'receive buffer size', default: '0', description: 'SO_RCVBUF of each process\'s request socket (Linux doubles it).' },
  { name: 'header-buffer-size', kind: { type: 'bytes', minimum: 8192, message: 'Header buffer size must be >= 8192 bytes, or 0 for default.' }, label: 'header buffer size', default: '0 (32768)', description: 'Longest response header line the processes may send; a longer one is a 500, as in mod_wsgi\'s daemon mode (the %{GLOBAL} pool has no limit, as embedded mode).' },
  { name: 'response-buffer-size', kind: { type: 'bytes', minimum: 65536, message: 'Response buffer size must be >= 65536 bytes, or 0 for default.' }, label: 'response buffer size', default: '0 (65536)', description: 'Bytes proxied before a forced flush. Accepted; no effect: the front end passes each piece on as it arrives.' },
  seconds('response-socket-timeout', 'response socket timeout', '0', 'Seconds the client may take none of the response before its connection is closed (0: socket-timeout).'),
  text('socket-user', 'socket user', 'Owner of the group\'s socket file. Accepted; no effect: only the front end connects to the sockets.'),
  text('script-user', 'script user', 'Required owner of the WSGI script files.'),
  text('script-group', 'script group', 'Required group of the WSGI script files.'),
  seconds('cpu-time-limit', 'cpu time limit', '0', 'Replace a process once it has used this many CPU seconds, user and system, checked every second (0: never).'),
  { name: 'cpu-priority', kind: { type: 'count', min: -20, max: 19 }, label: 'cpu priority', default: '0', description: 'Nice value of the processes, set by the front end (so a root server can give a negative one to a group running as user=).' },
  { name: 'memory-limit', kind: { type: 'count', min: 0 }, label: 'memory limit', default: '0', description: 'Bytes of resident memory before the process is replaced (0: none).' },
  { name: 'virtual-memory-limit', kind: { type: 'count', min: 0 }, label: 'virtual memory limit', default: '0', description: 'Bytes of address space (RLIMIT_AS; 0: none).' },
  { name: 'server-metrics', kind: { type: 'flag' }, label: 'server metrics flag', default: 'Off', description: 'Allow mod_wsgi.server_metrics() in this group. Accepted; no effect: tswsgi\'s mod_wsgi module has no server_metrics().' },
  text('newrelic-config-file', 'New Relic config file', 'Accepted for compatibility; ignored (removed in mod_wsgi 6).'),
  text('newrelic-environment', 'New Relic environment', 'Accepted for compatibility; ignored (removed in mod_wsgi 6).'),
];

export type DaemonOptionValue = number | string | boolean;

/** Parses one option's value; returns mod_wsgi's message when it is invalid. */
export function parseDaemonOption(spec: DaemonOptionSpec, value: string): DaemonOptionValue | { error: string } {
  const invalid = { error: `Invalid ${spec.label} for WSGI daemon process.` };
  const kind = spec.kind;
  switch (kind.type) {
    case 'count': {
      if (!/^-?\d+$/.test(value)) return invalid;
      const n = Number(value);
      return n < kind.min || (kind.max !== undefined && n > kind.max) ? invalid : n;
    }
    case 'seconds': {
      const seconds = parseSeconds(value);
      if (seconds === null) return invalid;
      return typeof seconds === 'string' ? { error: `Invalid ${spec.label} for WSGI daemon process: ${seconds}.` } : seconds;
    }
    case 'bytes': {
      if (!/^\d+$/.test(value)) return invalid;
      const n = Number(value);
      return n !== 0 && n < kind.minimum ? { error: kind.message } : n;
    }
    case 'octal':
      return /^[0-7]+$/.test(value) ? parseInt(value, 8) : invalid;
    case 'path':
      return kind.absolute && !value.startsWith('/') ? invalid : value;
    case 'flag':
      if (/^on$/i.test(value)) return true;
      if (/^off$/i.test(value)) return false;
      return invalid;
    case 'text':
      return value === '' && ['user', 'group', 'socket-user', 'script-user', 'script-group'].includes(spec.name) ? invalid : value;
  }
}
