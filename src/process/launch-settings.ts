// What a new worker process starts with, worked out from its group's typed options and
// nothing else: the settings it reads at spawn, how it is spawned, and the front end's
// limits on its connections. No I/O here, so one config always gives the same process.

import type { ProcessGroupConfig, ServerConfig } from '../config/model';
import type { Credentials } from './credentials';
import type { ConnectionTimeouts } from './worker-connection';
import type { LaunchOptions } from './worker-process';
import type { WorkerSettings } from './worker-settings';

/** How a process group runs application groups other than %{GLOBAL}. */
export type ApplicationGroupMode = 'sub-interpreters' | 'processes';

export type Serving =
  /** One set of processes for every application group, each in its own sub-interpreter. */
  | { mode: 'sub-interpreters'; preload: string[] }
  /** Processes of their own for one application group, run in their main interpreter. */
  | { mode: 'processes'; applicationGroup: string };

/** user=/group= resolved, and what a process started as that user needs from the server. */
export interface UserSwitch {
  credentials: Credentials;
  /** Where that user can read the worker package (RuntimeDir.workerPackage()). */
  packageDir: string;
  /** Whether the user's home directory exists: without home=, the process starts there. */
  homeExists: boolean;
}

export interface LaunchSettings {
  worker: WorkerSettings;
  launch: LaunchOptions;
  timeouts: ConnectionTimeouts;
  /** Longest response header line the process may send (0: no limit). */
  headerLineLimit: number;
}

/** mod_wsgi's daemon processes pass response headers through a buffer of header-buffer-size, 32 KiB unless set. */
const HEADER_BUFFER_BYTES = 32768;

export function launchSettings(
  config: ProcessGroupConfig,
  serving: Serving,
  socket: string,
  userSwitch: UserSwitch | null,
  server: Pick<ServerConfig, 'logLevel' | 'pythonOptimize' | 'timeout'>,
): LaunchSettings {
  const options = config.options;
  const credentials = userSwitch?.credentials ?? null;
  const worker: WorkerSettings = {
    socket,
    processGroup: config.name,
    ...interpreterSettings(serving, socket),
    threads: config.threads,
    processes: config.processes,
    runAs: credentials && { user: credentials.user, uid: credentials.uid, gid: credentials.gid, groups: credentials.groups },
    importScripts: serving.mode === 'sub-interpreters' ? config.importScripts
      : config.importScripts.filter((s) => s.applicationGroup === serving.applicationGroup),
    pythonPath: config.pythonPath,
    home: config.home,
    logLevel: server.logLevel,
    multiprocess: config.multiprocess,
    multithread: config.threads !== 1,
    runOnce: config.threads === 1 && options.maximumRequests === 1,
    umask: options.umask,
    locale: options.locale,
    displayName: options.displayName?.replace('%{GROUP}', `(wsgi:${config.name})`) ?? null,
    stackSize: options.stackSizeBytes,
    virtualMemoryLimit: options.virtualMemoryLimitBytes || null,
    listenBacklog: options.listenBacklog,
    sendBufferSize: options.sendBufferSizeBytes || null,
    receiveBufferSize: options.receiveBufferSizeBytes || null,
    deadlockTimeout: options.deadlockTimeoutSeconds,
  };
  // mod_wsgi's defaults: Apache's Timeout, and for the client's side socket-timeout.
  const socketTimeout = (options.socketTimeoutSeconds || server.timeout) * 1000;
  return {
    worker,
    launch: launchOptions(config, userSwitch, server),
    timeouts: {
      connect: options.connectTimeoutSeconds * 1000,
      socket: socketTimeout,
      request: options.requestTimeoutSeconds * 1000,
      response: options.responseSocketTimeoutSeconds * 1000 || socketTimeout,
    },
    // Embedded mode, which %{GLOBAL} stands for, has no such buffer.
    headerLineLimit: config.name === '' ? 0 : options.headerBufferSizeBytes || HEADER_BUFFER_BYTES,
  };
}

function interpreterSettings(serving: Serving, socket: string): Pick<WorkerSettings, 'applicationGroup' | 'interpreters' | 'applicationGroups'> {
  if (serving.mode === 'processes') return { applicationGroup: serving.applicationGroup, interpreters: 'main', applicationGroups: [] };
  return {
    applicationGroup: '',
    interpreters: 'sub',
    applicationGroups: serving.preload.map((name, i) => ({ name, socket: `${socket}.ag${i + 1}` })),
  };
}

/**
 * WSGIDaemonProcess lang=, locale= and python-eggs= become LANG, LC_ALL and PYTHON_EGG_CACHE,
 * cpu-priority= the nice value, and user= the HOME, USER and LOGNAME of the processes (the
 * worker takes the uid, gid and groups itself: see WorkerSettings.runAs), as mod_wsgi sets them.
 */
function launchOptions(config: ProcessGroupConfig, userSwitch: UserSwitch | null, server: Pick<ServerConfig, 'pythonOptimize'>): LaunchOptions {
  const { lang, locale, pythonEggs, cpuPriority } = config.options;
  const env: NodeJS.ProcessEnv = {};
  if (lang !== null) env.LANG = lang;
  if (locale !== null) env.LC_ALL = locale;
  if (pythonEggs !== null) env.PYTHON_EGG_CACHE = pythonEggs;
  const priority = cpuPriority || undefined;
  const pythonFlags = new Array<string>(server.pythonOptimize).fill('-O');
  if (!userSwitch) return { env, pythonFlags, priority };
  const { credentials } = userSwitch;
  Object.assign(env, { HOME: credentials.home, USER: credentials.user, LOGNAME: credentials.user });
  // Without home=, a process of another user starts in that user's home directory, if there is one.
  const cwd = config.home ?? (userSwitch.homeExists ? credentials.home : '/');
  return { env, cwd, pythonFlags, packageDir: userSwitch.packageDir, priority };
}
