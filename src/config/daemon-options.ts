// The options of WSGIDaemonProcess, one table that parses and validates them (with
// mod_wsgi's messages) into the typed DaemonOptions, with their defaults, and documents them.

import { parseSeconds } from './seconds';

export type DaemonOptionKind =
  | { type: 'count'; min: number; max?: number }
  | { type: 'seconds' }
  | { type: 'bytes'; minimum: number; message: string }
  | { type: 'text' }
  | { type: 'path'; absolute: boolean }
  | { type: 'octal' }
  | { type: 'flag' };

/**
 * What WSGIDaemonProcess's options set, defaults applied; null where an option's absence means
 * "inherit" or "the OS's". Units are in the names. Every option of the table has one field here
 * or in DaemonShape.
 */
export interface DaemonOptions {
  /** Process title; %{GROUP} becomes (wsgi:NAME). */
  displayName: string | null;
  user: string | null;
  group: string | null;
  /** Comma-separated names or #gids; null: the user's own groups (initgroups). */
  supplementaryGroups: string | null;
  umask: number | null;
  chroot: string | null;
  lang: string | null;
  locale: string | null;
  pythonEggs: string | null;
  stackSizeBytes: number | null;
  /** 0: never. */
  maximumRequests: number;
  /** 0: no limit. */
  startupTimeoutSeconds: number;
  shutdownTimeoutSeconds: number;
  /** 0: never. */
  deadlockTimeoutSeconds: number;
  inactivityTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  gracefulTimeoutSeconds: number;
  /** 0: graceful-timeout. */
  evictionTimeoutSeconds: number;
  restartIntervalSeconds: number;
  connectTimeoutSeconds: number;
  /** 0: the server's Timeout. */
  socketTimeoutSeconds: number;
  /** 0: no limit. */
  queueTimeoutSeconds: number;
  /** null: threads, at least 128. */
  listenBacklog: number | null;
  /** 0: the system's default. */
  sendBufferSizeBytes: number;
  receiveBufferSizeBytes: number;
  /** 0: 32768 in a daemon group. */
  headerBufferSizeBytes: number;
  responseBufferSizeBytes: number;
  /** 0: socket-timeout. */
  responseSocketTimeoutSeconds: number;
  socketUser: string | null;
  scriptUser: string | null;
  scriptGroup: string | null;
  cpuTimeLimitSeconds: number;
  cpuPriority: number;
  memoryLimitBytes: number;
  virtualMemoryLimitBytes: number;
  serverMetrics: boolean;
  newrelicConfigFile: string | null;
  newrelicEnvironment: string | null;
}

/**
 * The options that shape the group itself, which ProcessGroupConfig holds resolved (the
 * %{GLOBAL} pool takes them from the MPM settings instead); null where not given.
 */
export interface DaemonShape {
  processes: number | null;
  threads: number | null;
  home: string | null;
  /** As given: colon-separated. */
  pythonPath: string | null;
  pythonHome: string | null;
}

/** One WSGIDaemonProcess line's options, parsed. */
export type DaemonDeclaration = DaemonShape & DaemonOptions;

type Field = keyof DaemonDeclaration;
type KindName = DaemonOptionKind['type'];
/** What each kind of option parses to. */
interface KindValue { count: number; seconds: number; bytes: number; text: string; path: string; octal: number; flag: boolean }
/** The fields a value of kind T can go in. */
type FieldFor<T extends KindName> = { [K in Field]: KindValue[T] extends DaemonDeclaration[K] ? K : never }[Field];

export interface DaemonOptionSpec {
  name: string;
  field: Field;
  kind: DaemonOptionKind;
  /** The words of mod_wsgi's message: "Invalid <label> for WSGI daemon process." */
  label: string;
  /** The field's value when the option is not given. */
  value: DaemonOptionValue | null;
  /** The default as the docs say it. */
  default: string;
  description: string;
}

/** A row of the table; its kind, field and default must agree in type. */
function option<T extends KindName, K extends FieldFor<T>>(
  spec: Omit<DaemonOptionSpec, 'kind' | 'field' | 'value' | 'default'> & { kind: DaemonOptionKind & { type: T }; field: K; value: DaemonDeclaration[K]; default?: string },
): DaemonOptionSpec {
  const value = spec.value;
  const shown = value === null ? 'unset' : typeof value === 'boolean' ? (value ? 'On' : 'Off') : String(value);
  return { ...spec, default: spec.default ?? shown };
}
const seconds = (name: string, field: FieldFor<'seconds'>, label: string, value: number, description: string): DaemonOptionSpec =>
  option({ name, field, kind: { type: 'seconds' }, label, value, description });
const text = (name: string, field: FieldFor<'text'>, label: string, description: string, shown?: string): DaemonOptionSpec =>
  option({ name, field, kind: { type: 'text' }, label, value: null, default: shown, description });

export const DAEMON_OPTIONS: readonly DaemonOptionSpec[] = [
  option({ name: 'processes', field: 'processes', kind: { type: 'count', min: 1 }, label: 'process count', value: null, default: '1', description: 'Number of processes. Giving it at all, even =1, makes wsgi.multiprocess True.' }),
  option({ name: 'threads', field: 'threads', kind: { type: 'count', min: 0, max: 65533 }, label: 'thread count', value: null, default: '15', description: 'Request threads per process; wsgi.multithread is threads != 1.' }),
  text('display-name', 'displayName', 'display name', 'Process title; %{GROUP} becomes (wsgi:NAME).'),
  text('user', 'user', 'user', 'User the processes run as (when tswsgi starts as root).', 'User'),
  text('group', 'group', 'group', 'Group the processes run as (when tswsgi starts as root).', 'Group'),
  text('supplementary-groups', 'supplementaryGroups', 'supplementary groups', 'Comma-separated supplementary groups (names or #gid); without it, the user\'s own groups (initgroups).'),
  option({ name: 'umask', field: 'umask', kind: { type: 'octal' }, label: 'umask', value: null, default: 'inherited', description: 'umask of the processes, in octal.' }),
  option({ name: 'chroot', field: 'chroot', kind: { type: 'path', absolute: true }, label: 'chroot directory', value: null, description: 'chroot jail (deprecated in mod_wsgi). Accepted; no effect yet.' }),
  option({ name: 'home', field: 'home', kind: { type: 'path', absolute: true }, label: 'home directory', value: null, description: 'Working directory, and sys.path[0] in every interpreter of the group.' }),
  text('lang', 'lang', 'lang', 'LANG in the processes\' environment.'),
  text('locale', 'locale', 'locale', 'LC_ALL in the processes\' environment, and setlocale().'),
  text('python-home', 'pythonHome', 'python home', 'Python prefix or virtual environment; its interpreter runs the group.', 'WSGIPythonHome'),
  text('python-path', 'pythonPath', 'python path', 'Colon-separated directories put at the front of sys.path (with .pth files honoured).'),
  text('python-eggs', 'pythonEggs', 'python eggs', 'PYTHON_EGG_CACHE of the processes.'),
  option({ name: 'stack-size', field: 'stackSizeBytes', kind: { type: 'count', min: 1 }, label: 'stack size', value: null, default: 'OS default', description: 'Stack size in bytes of each request thread.' }),
  option({ name: 'maximum-requests', field: 'maximumRequests', kind: { type: 'count', min: 0 }, label: 'request count', value: 0, description: 'Replace a process after this many requests (0: never).' }),
  seconds('startup-timeout', 'startupTimeoutSeconds', 'startup timeout', 0, 'Seconds a process may take to load its scripts and become ready; when set, also how long a request waits for a group whose processes die at start (instead of connect-timeout).'),
  seconds('shutdown-timeout', 'shutdownTimeoutSeconds', 'shutdown timeout', 5, 'Seconds a stopping process may take before it is killed.'),
  seconds('deadlock-timeout', 'deadlockTimeoutSeconds', 'deadlock timeout', 300, 'Seconds the Python GIL may stay held before the process is killed and replaced (0: never).'),
  seconds('inactivity-timeout', 'inactivityTimeoutSeconds', 'inactivity timeout', 0, 'Replace a process idle this long (0: never).'),
  seconds('request-timeout', 'requestTimeoutSeconds', 'request timeout', 0, 'Seconds a request may run (0: no limit).'),
  seconds('graceful-timeout', 'gracefulTimeoutSeconds', 'graceful timeout', 15, 'Seconds a process being replaced may keep serving its requests.'),
  seconds('eviction-timeout', 'evictionTimeoutSeconds', 'eviction timeout', 0, 'Grace period on a graceful signal, instead of graceful-timeout.'),
  seconds('restart-interval', 'restartIntervalSeconds', 'restart interval', 0, 'Replace a process after it has lived this long (0: never).'),
  seconds('connect-timeout', 'connectTimeoutSeconds', 'connect timeout', 15, 'Seconds to wait for a connection to a process, and how long a request waits for a group whose processes die at start before it gets 503.'),
  seconds('socket-timeout', 'socketTimeoutSeconds', 'socket timeout', 0, 'Seconds without progress on a request before it fails (0: Timeout).'),
  seconds('queue-timeout', 'queueTimeoutSeconds', 'queue timeout', 0, 'Seconds a request may wait for a free thread before it gets 503 (0: no limit).'),
  option({ name: 'listen-backlog', field: 'listenBacklog', kind: { type: 'count', min: 0 }, label: 'listen backlog', value: null, default: 'threads, at least 128', description: 'Backlog of each process\'s request socket.' }),
  option({ name: 'send-buffer-size', field: 'sendBufferSizeBytes', kind: { type: 'bytes', minimum: 512, message: 'Send buffer size must be >= 512 bytes, or 0 for system default.' }, label: 'send buffer size', value: 0, description: 'SO_SNDBUF of each process\'s request socket (Linux doubles it).' }),
  option({ name: 'receive-buffer-size', field: 'receiveBufferSizeBytes', kind: { type: 'bytes', minimum: 512, message: 'Receive buffer size must be >= 512 bytes, or 0 for system default.' }, label: 'receive buffer size', value: 0, description: 'SO_RCVBUF of each process\'s request socket (Linux doubles it).' }),
  option({ name: 'header-buffer-size', field: 'headerBufferSizeBytes', kind: { type: 'bytes', minimum: 8192, message: 'Header buffer size must be >= 8192 bytes, or 0 for default.' }, label: 'header buffer size', value: 0, default: '0 (32768)', description: 'Longest response header line the processes may send; a longer one is a 500, as in mod_wsgi\'s daemon mode (the %{GLOBAL} pool has no limit, as embedded mode).' }),
  option({ name: 'response-buffer-size', field: 'responseBufferSizeBytes', kind: { type: 'bytes', minimum: 65536, message: 'Response buffer size must be >= 65536 bytes, or 0 for default.' }, label: 'response buffer size', value: 0, default: '0 (65536)', description: 'Bytes proxied before a forced flush. Accepted; no effect: the front end passes each piece on as it arrives.' }),
  seconds('response-socket-timeout', 'responseSocketTimeoutSeconds', 'response socket timeout', 0, 'Seconds the client may take none of the response before its connection is closed (0: socket-timeout).'),
  text('socket-user', 'socketUser', 'socket user', 'Owner of the group\'s socket file. Accepted; no effect: only the front end connects to the sockets.'),
  text('script-user', 'scriptUser', 'script user', 'Required owner of the WSGI script files.'),
  text('script-group', 'scriptGroup', 'script group', 'Required group of the WSGI script files.'),
  seconds('cpu-time-limit', 'cpuTimeLimitSeconds', 'cpu time limit', 0, 'Replace a process once it has used this many CPU seconds, user and system, checked every second (0: never).'),
  option({ name: 'cpu-priority', field: 'cpuPriority', kind: { type: 'count', min: -20, max: 19 }, label: 'cpu priority', value: 0, description: 'Nice value of the processes, set by the front end (so a root server can give a negative one to a group running as user=).' }),
  option({ name: 'memory-limit', field: 'memoryLimitBytes', kind: { type: 'count', min: 0 }, label: 'memory limit', value: 0, description: 'Bytes of resident memory before the process is replaced (0: none).' }),
  option({ name: 'virtual-memory-limit', field: 'virtualMemoryLimitBytes', kind: { type: 'count', min: 0 }, label: 'virtual memory limit', value: 0, description: 'Bytes of address space (RLIMIT_AS; 0: none).' }),
  option({ name: 'server-metrics', field: 'serverMetrics', kind: { type: 'flag' }, label: 'server metrics flag', value: false, description: 'Allow mod_wsgi.server_metrics() in this group. Accepted; no effect: tswsgi\'s mod_wsgi module has no server_metrics().' }),
  text('newrelic-config-file', 'newrelicConfigFile', 'New Relic config file', 'Accepted for compatibility; ignored (removed in mod_wsgi 6).'),
  text('newrelic-environment', 'newrelicEnvironment', 'New Relic environment', 'Accepted for compatibility; ignored (removed in mod_wsgi 6).'),
];

export type DaemonOptionValue = number | string | boolean;

/** Parses one option's value; returns mod_wsgi's message when it is invalid. */
function parseDaemonOption(spec: DaemonOptionSpec, value: string): DaemonOptionValue | { error: string } {
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

/** The options of one WSGIDaemonProcess line, defaults applied; the first invalid one's message. */
export function parseDaemonOptions(given: ReadonlyMap<string, string>): DaemonDeclaration | { error: string } {
  const declaration: Record<string, DaemonOptionValue | null> = {};
  for (const spec of DAEMON_OPTIONS) declaration[spec.field] = spec.value;
  for (const [name, text] of given) {
    const spec = DAEMON_OPTIONS.find((o) => o.name === name);
    if (!spec) return { error: 'Invalid option to WSGI daemon process definition.' };
    const value = parseDaemonOption(spec, text);
    if (typeof value === 'object') return value;
    declaration[spec.field] = value;
  }
  return declaration as unknown as DaemonDeclaration;
}

/** Splits a declaration into what shapes the group and the options it runs with. */
export function splitDeclaration(declaration: DaemonDeclaration): { shape: DaemonShape; options: DaemonOptions } {
  const { processes, threads, home, pythonPath, pythonHome, ...options } = declaration;
  return { shape: { processes, threads, home, pythonPath, pythonHome }, options };
}

/** The options of a group no WSGIDaemonProcess line declares (%{GLOBAL}, start-server's). */
export function defaultDaemonOptions(): DaemonOptions {
  return splitDeclaration(parseDaemonOptions(new Map()) as DaemonDeclaration).options;
}
