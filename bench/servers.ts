// The servers compared, as one table of definitions, and the code that starts and stops any of them.

import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { timedGet } from './client';
import { exited, spawnGroup, stop } from './procs';

export const ROOT = resolve(__dirname, '..', '..'); // dist/bench -> the repository
export const PYTHON = '/usr/bin/python3'; // Debian's, the one mod_wsgi embeds
export const PROCESSES = 2;
export const THREADS = 8;
const RAW_NODE = join(ROOT, 'dist/bench/raw-node.js');
const HOP_FLOOR = join(ROOT, 'dist/bench/hop-floor.js');

/** The application, copied into a directory www-data can read: `MODULE.wsgi` and an importable `MODULE.py`. */
export interface App {
  dir: string;
  wsgi: string;
  py: string;
  module: string;
}

export interface ServerDef {
  name: string;
  /** Files that must exist for the server to run. */
  requires: string[];
  /** How to get it when they do not. */
  install: string;
  /** argv to start it on `port`, writing any config file it needs under app.dir (`log`: its error log). */
  command(app: App, port: number, log: string): string[];
  /** Signal that makes the (foreground) leader shut down. */
  stopSignal: NodeJS.Signals;
  /** Printed under the table when the server is measured. */
  note?: string;
  /** The only apps (App.module) it can serve; all when absent. */
  apps?: string[];
}

/**
 * The lines a private Apache instance needs before any site: paths under app.dir, modules, the
 * event MPM, www-data children and mod_wsgi's socket prefix. No Listen and no WSGI application.
 */
export function apacheServerConfig(app: App, log: string): string {
  const modules = '/usr/lib/apache2/modules';
  const run = join(app.dir, 'apache');
  mkdirSync(run, { recursive: true });
  return `ServerRoot ${run}
PidFile ${run}/apache2.pid
ErrorLog ${log}
LogLevel warn
DefaultRuntimeDir ${run}
Mutex file:${run}
ServerName 127.0.0.1
User www-data
Group www-data

LoadModule mpm_event_module ${modules}/mod_mpm_event.so
LoadModule authz_core_module ${modules}/mod_authz_core.so
LoadModule mime_module ${modules}/mod_mime.so
LoadModule alias_module ${modules}/mod_alias.so
LoadModule env_module ${modules}/mod_env.so
LoadModule wsgi_module ${modules}/mod_wsgi.so
<IfModule !log_config_module>
  LoadModule log_config_module ${modules}/mod_log_config.so
</IfModule>
TypesConfig /etc/mime.types

StartServers 2
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50

WSGISocketPrefix ${run}/wsgi
`;
}

/** Writes app.dir/apache/apache2.conf (the server lines, then `site`) and returns the command that runs it. */
export function apacheCommand(app: App, log: string, site: string): string[] {
  const conf = join(app.dir, 'apache', 'apache2.conf');
  writeFileSync(conf, `${apacheServerConfig(app, log)}\n${site}`);
  return ['/usr/sbin/apache2', '-f', conf, '-DFOREGROUND'];
}

/** A site: Listen on `port`, the `lines` given, and access to app.dir; the same text serves Apache and tswsgi. */
export function siteConfig(app: App, port: number, lines: string[]): string {
  return `Listen 127.0.0.1:${port}
${lines.join('\n')}
<Directory ${app.dir}>
  Require all granted
</Directory>
`;
}

/** The throughput benchmark's site, the same text for Apache and tswsgi: one daemon group serving app.wsgi at /. */
export function daemonSite(app: App, port: number): string {
  return siteConfig(app, port, [
    `WSGIDaemonProcess bench processes=${PROCESSES} threads=${THREADS}`,
    'WSGIProcessGroup bench',
    'WSGIApplicationGroup %{GLOBAL}',
    `WSGIScriptAlias / ${app.wsgi}`,
  ]);
}

/** Writes `site` to app.dir/NAME.conf and returns the command that runs it under `tswsgi serve`. */
export function tswsgiServeCommand(app: App, name: string, site: string): string[] {
  const conf = join(app.dir, `${name.replace(/\W+/g, '-')}.conf`);
  writeFileSync(conf, site);
  return [process.execPath, join(ROOT, 'bin/tswsgi.js'), 'serve', '-f', conf, '--python', PYTHON];
}

/**
 * uWSGI serving app.py on `port` with 2 processes x 8 threads, plus `extra` options; `socket`:
 * --http-socket (a connection per request) or --http11-socket (keep-alive).
 */
export function uwsgiCommand(app: App, port: number, extra: string[] = [], socket = '--http-socket'): string[] {
  return ['/usr/bin/uwsgi', '--plugin', 'python3', socket, `127.0.0.1:${port}`,
    '--master', '--processes', String(PROCESSES), '--threads', String(THREADS), '--wsgi-file', app.py,
    '--need-app', '--disable-logging', ...extra];
}

/** What every definition of one server shares, whatever its config. */
export type ServerBase = Pick<ServerDef, 'requires' | 'install' | 'stopSignal'>;

export const TSWSGI: ServerBase = {
  requires: [join(ROOT, 'dist/src/cli/main.js'), PYTHON],
  install: 'npm run build; apt-get install python3',
  stopSignal: 'SIGTERM',
};

export const APACHE: ServerBase = {
  requires: ['/usr/sbin/apache2', '/usr/lib/apache2/modules/mod_wsgi.so'],
  install: 'apt-get install apache2 libapache2-mod-wsgi-py3',
  stopSignal: 'SIGTERM',
};

export const UWSGI: ServerBase = {
  requires: ['/usr/bin/uwsgi', '/usr/lib/uwsgi/plugins/python3_plugin.so'],
  install: 'apt-get install uwsgi uwsgi-plugin-python3',
  stopSignal: 'SIGINT', // uWSGI 2.0 reloads on SIGTERM; SIGINT shuts it down
};

export const SERVERS: ServerDef[] = [
  {
    ...TSWSGI,
    name: 'tswsgi',
    command: (app, port) => tswsgiServeCommand(app, 'tswsgi', daemonSite(app, port)),
  },
  {
    ...APACHE,
    name: 'Apache mod_wsgi daemon',
    command: (app, port, log) => apacheCommand(app, log, daemonSite(app, port)),
  },
  {
    name: 'gunicorn gthread',
    requires: ['/usr/bin/gunicorn'],
    install: 'apt-get install gunicorn',
    command: (app, port) => ['/usr/bin/gunicorn', '-k', 'gthread', '-w', String(PROCESSES), '--threads', String(THREADS),
      '-b', `127.0.0.1:${port}`, '--chdir', app.dir, `${app.module}:application`],
    stopSignal: 'SIGTERM',
  },
  {
    ...UWSGI,
    name: 'uWSGI http-socket',
    command: (app, port) => uwsgiCommand(app, port),
    note: '--http-socket closes the connection after every response (no keep-alive); wrk counts each close ' +
      'as a socket read error, so its read errors are reconnections, not failed requests.',
  },
  {
    ...UWSGI,
    name: 'uWSGI http11-socket',
    command: (app, port) => uwsgiCommand(app, port, [], '--http11-socket'),
  },
  {
    name: 'raw node:http',
    requires: [RAW_NODE],
    install: 'npm run build',
    command: (_app, port) => [process.execPath, RAW_NODE, String(port)],
    stopSignal: 'SIGTERM',
    apps: ['hello'],
    note: 'one Node process answering the same 14 bytes itself, no Python: the ceiling of a single-process node:http front end.',
  },
  {
    name: 'hop floor',
    requires: [HOP_FLOOR, PYTHON],
    install: 'npm run build',
    command: (_app, port) => [process.execPath, HOP_FLOOR, String(port)],
    stopSignal: 'SIGTERM',
    apps: ['hello'],
    note: `node:http sending each request over a UNIX socket to one of ${PROCESSES} x ${THREADS} Python threads (a connection per thread, waiting in poll(), as tswsgi's workers) and answering when the thread replies: no routing, no environ, no WSGI. The floor of tswsgi's architecture: what a request costs before tswsgi's own work.`,
  },
];

export function missing(def: ServerDef): string[] {
  return def.requires.filter((file) => !existsSync(file));
}

export interface Running {
  child: ChildProcess;
  url: string;
  log: string;
  /** performance.now() just before the spawn. */
  launchedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a server's stderr and stdout go (appended to, run after run). */
export function logFile(def: ServerDef, app: App): string {
  return join(app.dir, `${def.name.replace(/\W+/g, '-')}.log`);
}

/**
 * Spawns `def` on `port` in a process group of its own, stderr to its log and stdout piped
 * (available as child.stdout) and copied to the same log; returns without waiting for anything.
 */
export function launchServer(def: ServerDef, app: App, port: number): Running {
  const log = logFile(def, app);
  const [cmd, ...args] = def.command(app, port, log);
  const fd = openSync(log, 'a');
  const launchedAt = performance.now();
  const child = spawnGroup(cmd!, args, { cwd: app.dir, stdio: ['ignore', 'pipe', fd] });
  closeSync(fd);
  child.stdout!.on('data', (chunk: Buffer) => appendFileSync(log, chunk));
  return { child, url: `http://127.0.0.1:${port}/`, log, launchedAt };
}

/** The last lines of a server's log, for error messages. */
export function logTail(running: Running): string {
  return readFileSync(running.log, 'utf8').split('\n').slice(-20).join('\n');
}

/** Starts `def` and resolves once `/` answers 200; throws (with the server's log) if it never does. */
export async function startServer(def: ServerDef, app: App, port: number, timeoutMs = 30_000): Promise<Running> {
  const running = launchServer(def, app, port);
  const { child, url } = running;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    if (exited(child)) throw new Error(`${def.name} exited (${child.exitCode ?? child.signalCode}):\n${logTail(running)}`);
    const { status } = await timedGet(url, 2000);
    if (status === 200) return running;
    if (status !== 0) {
      await stopServer(def, running);
      throw new Error(`${def.name} answered ${status} on /:\n${logTail(running)}`);
    }
  }
  await stopServer(def, running);
  throw new Error(`${def.name} did not answer within ${timeoutMs / 1000} s:\n${logTail(running)}`);
}

/** Stops the server and everything it forked; mod_wsgi daemons can take ~5 s to stop. */
export function stopServer(def: ServerDef, running: Running): Promise<void> {
  return stop(running.child, def.stopSignal, 20_000);
}
