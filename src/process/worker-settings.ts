// What the supervisor tells a worker process at spawn, as JSON in TSWSGI_WORKER.
// The Python side reads the same keys (python/tswsgi_worker/settings.py).

import type { ImportScriptSetting } from '../config/model';

export interface ApplicationGroupSetting {
  name: string;
  /** UNIX socket path the sub-interpreter's threads accept on. */
  socket: string;
}

export interface WorkerSettings {
  /** UNIX socket path the worker binds for request connections. */
  socket: string;
  /** "" is the server's own pool (%{GLOBAL}); otherwise a WSGIDaemonProcess name. */
  processGroup: string;
  /** The application group this process serves in its main interpreter ("" is %{GLOBAL}). */
  applicationGroup: string;
  /** "sub": other application groups run in sub-interpreters, each on its own socket; "main": none. */
  interpreters: 'main' | 'sub';
  /** Sub-interpreters to create, with their import scripts run, before the process reports ready. */
  applicationGroups: ApplicationGroupSetting[];
  threads: number;
  /** Processes of the group (mod_wsgi.maximum_processes). */
  processes: number;
  /**
   * user=, group= and supplementary-groups= (groups null: the user's own, by initgroups). The
   * worker starts as root and takes these itself before anything else, as mod_wsgi's daemons
   * do: a child spawned with a uid by Node has no supplementary groups at all.
   */
  runAs: { user: string; uid: number; gid: number; groups: number[] | null } | null;
  /** Scripts loaded, in order, before the worker reports ready. */
  importScripts: ImportScriptSetting[];
  /** Directories put at the front of sys.path, in order (site.addsitedir semantics). */
  pythonPath: string[];
  /** Working directory; also sys.path[0] when set (mod_wsgi's home=). */
  home: string | null;
  logLevel: string;
  multiprocess: boolean;
  multithread: boolean;
  runOnce: boolean;
  /** WSGIDaemonProcess umask=, or null to inherit. */
  umask: number | null;
  /** WSGIDaemonProcess locale=: also set as LC_ALL in the environment. */
  locale: string | null;
  /** WSGIDaemonProcess display-name=, with %{GROUP} expanded: the process name ps shows. */
  displayName: string | null;
  /** WSGIDaemonProcess stack-size=: bytes of stack for each serving thread, or null for the OS default. */
  stackSize: number | null;
  /** WSGIDaemonProcess virtual-memory-limit=: RLIMIT_AS in bytes, or null for none. */
  virtualMemoryLimit: number | null;
  /** WSGIDaemonProcess listen-backlog=, send-buffer-size=, receive-buffer-size= of the request socket; null: the defaults. */
  listenBacklog: number | null;
  sendBufferSize: number | null;
  receiveBufferSize: number | null;
  /** WSGIDaemonProcess deadlock-timeout=: when not 0, the worker reports every second that it could take the GIL. */
  deadlockTimeout: number;
}
