// Starts the real `tswsgi` command for a test and talks to it over loopback.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const APPS = path.join(ROOT, 'test/apps');
export const BIN = path.join(ROOT, 'bin/tswsgi.js');
/** Debian's interpreter, which has python3-flask and python3-django; tests of those apps use it. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
/** Whether the suite runs as root, as CI does. */
export const AS_ROOT = process.getuid!() === 0;
/** Options of a test that needs root (its name says so): skipped only when not root. */
export const ROOT_ONLY = { skip: AS_ROOT ? false : 'needs root' };

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (its error log). */
  errorLog(): string;
  stdout(): string;
  /** Resolves when the error log contains `text`; rejects after `ms` (waitFor's generous default). */
  waitForLog(text: string | RegExp, ms?: number): Promise<void>;
  /** Its exit code, once it has exited. */
  exited: Promise<number | null>;
  /** Sends `signal` unless it has exited already, and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `tswsgi start-server SCRIPT` on a free loopback port. */
export function startServer(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  return startTswsgi(startServerArgs(script, args), env);
}

const startServerArgs = (script: string, args: string[]) => ['start-server', script, '--port', '0', '--host', '127.0.0.1', ...args];

/** `tswsgi serve -f FILE`; the config should `Listen 127.0.0.1:0` so that any free port is taken. */
export function startServe(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  return startTswsgi(['serve', '-f', file, ...args], env);
}

/**
 * `tswsgi serve -f FILE` for a config that listens on `127.0.0.1:port` (a port from freePort()):
 * resolves once the port takes connections, without waiting for the processes to be ready, for
 * configs whose processes may never be.
 */
export function startServeListening(file: string, port: number, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  return startTswsgi(['serve', '-f', file, ...args], env, { listening: port });
}

/** `tswsgi start-server SCRIPT` run by another command, such as `unshare` (`wrapper` is its argv before node's). */
export function startServerUnder(wrapper: string[], script: string, args: string[] = []): Promise<RunningServer> {
  return startTswsgi(startServerArgs(script, args), {}, { wrapper });
}

/** `tswsgi serve -f FILE` run by another command (`wrapper`), from the install whose `bin/tswsgi.js` is `bin`. */
export function startServeUnder(wrapper: string[], bin: string, file: string, env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  return startTswsgi(['serve', '-f', file], env, { wrapper, bin });
}

/**
 * `tswsgi start-server SCRIPT` as a shell runs a job: the leader of a process group of its own,
 * so that `process.kill(-server.child.pid, 'SIGINT')` signals the whole group, as Ctrl-C does.
 */
export function startServerAsJob(script: string, args: string[] = []): Promise<RunningServer> {
  return startTswsgi(startServerArgs(script, args), {}, { job: true });
}

interface Launch {
  /** Argv before node's (a command that runs tswsgi). */
  wrapper?: string[];
  /** The `bin/tswsgi.js` of the install to run. */
  bin?: string;
  /** In a process group of its own. */
  job?: boolean;
  /** Ready once this loopback port takes connections, instead of at the server's ready line. */
  listening?: number;
}

async function startTswsgi(args: string[], env: NodeJS.ProcessEnv, { wrapper = [], bin = BIN, job = false, listening }: Launch = {}): Promise<RunningServer> {
  const [command, ...before] = [...wrapper, process.execPath];
  const child = spawn(command!, [...before, bin, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: job,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      outcome();
    };
    const timer = setTimeout(() => settle(() => {
      // A server left running would keep the test file's process alive after the failure.
      child.kill('SIGKILL');
      reject(new Error(`server did not become ready:\n${out}\n${err}`));
    }), 20_000);
    const check = () => {
      const m = /tswsgi: serving .* at http:\/\/[^:]+:(\d+)\//.exec(out);
      if (m) settle(() => resolve(Number(m[1])));
    };
    const knock = () => {
      const socket = net.connect(listening!, '127.0.0.1');
      socket.on('connect', () => { socket.destroy(); settle(() => resolve(listening!)); });
      socket.on('error', () => { if (!settled) setTimeout(knock, 25); });
    };
    if (listening === undefined) child.stdout!.on('data', check);
    else knock();
    child.on('exit', (code) => settle(() => reject(new Error(`server exited with ${code}:\n${out}\n${err}`))));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    errorLog: () => err,
    stdout: () => out,
    waitForLog: (text, ms) => waitFor(() => (typeof text === 'string' ? err.includes(text) : text.test(err)), () => `the log to show ${text}:\n${err}`, ms),
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RawResponse {
  /** Everything the server sent before it closed the connection or the time ran out. */
  text: string;
  bytes: Buffer;
  closed: boolean;
}

/** Sends bytes exactly as given, for requests node's own client refuses to make. */
export function rawRequest(port: number, data: string | Buffer | Array<string | Buffer>, waitMs = 1500): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      resolve({ text: bytes.toString('latin1'), bytes, closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => { closed = true; finish(); });
    socket.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') reject(e); });
    socket.on('connect', () => {
      for (const part of Array.isArray(data) ? data : [data]) socket.write(part);
    });
  });
}

export function statusOf(raw: RawResponse): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw.text);
  return m ? Number(m[1]) : 0;
}

export function tempDir(prefix = 'tswsgi-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Writes an Apache config file into a fresh temp dir and returns its path. */
export function writeConf(text: string): string {
  const file = path.join(tempDir(), 'httpd.conf');
  fs.writeFileSync(file, text);
  return file;
}

/** Writes a WSGI script into a fresh temp dir and returns its path. */
export function writeScript(source: string, name = 'app.wsgi'): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, source);
  return file;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = any>(): T;
}

/** One request on a fresh connection with node's client. */
export function request(url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Resolves once `condition` holds; rejects after `ms`, naming `what` (a function to describe the
 * state at that moment). The bound is generous: on a busy machine the state comes late, and a test
 * that waits for it fails only when it never comes.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string | (() => string), ms = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`waited ${ms} ms for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The pids of the children of `pid` (a front end's are its worker processes). */
export function childrenOf(pid: number): number[] {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return children ? children.split(/\s+/).map(Number) : [];
}

/** True once `pid` has exited: gone, or a zombie that its parent has not reaped yet. */
export function hasExited(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export interface StartedRequests {
  /** Request headers that make test/apps/lifecycle.wsgi record the request as it begins. */
  headers: { 'X-Started-Dir': string };
  /** Resolves once `n` of the requests sent with `headers` have begun: they are in flight in Python, not somewhere on the way. */
  waitFor(n: number): Promise<void>;
}

/** For a test that must act while requests are running: it waits on this instead of sleeping and hoping. */
export function startedRequests(): StartedRequests {
  const dir = tempDir('tswsgi-started-');
  return {
    headers: { 'X-Started-Dir': dir },
    waitFor: (n) => waitFor(() => fs.readdirSync(dir).length >= n, `${n} request(s) to begin in the application`),
  };
}
