// Differential harness: runs one configuration template under Debian's Apache 2.4 +
// mod_wsgi and under tswsgi, sends both the same requests over loopback, and reports
// every way their answers differ. What is allowed to differ is decided elsewhere
// (expected-differences.ts); this module only observes and compares.
//
// Both servers read the same configuration text: the template with {{PORT}} (each
// server's own port), {{ROOT}} (the shared, www-data-readable tree of apps and files)
// and {{RUN}} (each server's own folder for pid file, sockets and logs) substituted.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const HERE = path.join(REPO, 'test/differential');
export const APACHE = '/usr/sbin/apache2';
export const MODULES_DIR = '/usr/lib/apache2/modules';
export const PYTHON = '/usr/bin/python3';
export const BIN_TSWSGI = path.join(REPO, 'bin/tswsgi.js');

/** What both servers need, ahead of every template. log_config_module is built into Debian's apache2. */
export const PROLOGUE = `# --- prologue added by test/differential/harness.ts ---
ServerRoot "{{RUN}}"
LoadModule mpm_event_module ${MODULES_DIR}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES_DIR}/mod_authz_core.so
LoadModule authz_host_module ${MODULES_DIR}/mod_authz_host.so
LoadModule mime_module ${MODULES_DIR}/mod_mime.so
LoadModule alias_module ${MODULES_DIR}/mod_alias.so
LoadModule env_module ${MODULES_DIR}/mod_env.so
LoadModule dir_module ${MODULES_DIR}/mod_dir.so
LoadModule wsgi_module ${MODULES_DIR}/mod_wsgi.so
User www-data
Group www-data
Listen 127.0.0.1:{{PORT}}
ServerName main.test
PidFile {{RUN}}/httpd.pid
Mutex file:{{RUN}} default
DefaultRuntimeDir {{RUN}}
WSGISocketPrefix {{RUN}}/wsgi
ErrorLog {{RUN}}/error.log
LogLevel info
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 2
ThreadsPerChild 5
MaxRequestWorkers 10
DocumentRoot {{ROOT}}/htdocs
# Debian's apache2.conf has this; tswsgi has it built in.
<Files ".ht*">
    Require all denied
</Files>
# --- end of prologue ---
`;

/** Why the differential tests cannot run here, or null when they can. */
export function unavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root (Apache must switch to www-data)';
  if (!fs.existsSync(APACHE)) return `${APACHE} missing (apt-get install apache2 libapache2-mod-wsgi-py3)`;
  if (!fs.existsSync(path.join(MODULES_DIR, 'mod_wsgi.so'))) return 'mod_wsgi.so missing (apt-get install libapache2-mod-wsgi-py3)';
  if (!fs.existsSync(PYTHON)) return `${PYTHON} missing`;
  if (spawnSync('id', ['www-data']).status !== 0) return 'no www-data user';
  return null;
}

/**
 * The shared tree ({{ROOT}}): the apps and static files, copies of the probe under other
 * names, every folder 0755 and file 0644 so that www-data can read them, and every parent
 * of it searchable (it lives under os.tmpdir()).
 */
export function makeTree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-diff-'));
  fs.cpSync(path.join(HERE, 'apps'), root, { recursive: true });
  const probe = path.join(root, 'probe.wsgi');
  fs.copyFileSync(probe, path.join(root, 'second.wsgi'));
  fs.mkdirSync(path.join(root, 'sites'));
  for (const site of ['alpha', 'beta']) fs.copyFileSync(probe, path.join(root, 'sites', `${site}.wsgi`));
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(probe, path.join(root, 'scripts', 'probe.wsgi'));
  fs.copyFileSync(probe, path.join(root, 'htaccess', 'app', 'probe.wsgi'));
  const walk = (dir: string) => {
    fs.chmodSync(dir, 0o755);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else fs.chmodSync(file, 0o644);
    }
  };
  // For symlinks.conf: in each links/* folder a plain file, then (once modes are set, since chmod
  // follows links) links to what lies outside it; and a file owned by nobody to link to.
  const folders = ['default', 'nofollow', 'none', 'owner'].map((name) => path.join(root, 'links', name));
  for (const dir of folders) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'plain.txt'), 'plain\n');
  }
  fs.mkdirSync(path.join(root, 'links-target'));
  fs.writeFileSync(path.join(root, 'links-target', 'nobody.txt'), 'owned by nobody\n');
  walk(root);
  fs.chmodSync(path.join(root, 'cgi-bin', 'hello.cgi'), 0o755);
  fs.chownSync(path.join(root, 'links-target', 'nobody.txt'), Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout), 0);
  for (const dir of folders) {
    fs.symlinkSync('../../static/style.css', path.join(dir, 'link.txt'));
    fs.symlinkSync('../../static', path.join(dir, 'linkdir'));
    fs.symlinkSync('../../probe.wsgi', path.join(dir, 'probe.wsgi'));
    fs.symlinkSync('../../nowhere', path.join(dir, 'dangling.txt'));
  }
  fs.symlinkSync('../../links-target/nobody.txt', path.join(root, 'links', 'owner', 'nobody.txt'));
  for (let dir = path.dirname(root); dir !== '/'; dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) throw new Error(`${dir} is not searchable by www-data (mode ${(mode & 0o7777).toString(8)})`);
  }
  return root;
}

export function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{([A-Z]+)\}\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`template uses unknown placeholder ${whole}`);
    return value;
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type ServerKind = 'apache' | 'tswsgi';

export interface Instance {
  kind: ServerKind;
  port: number;
  run: string;
  conf: string;
  /** The server's error log so far (its ErrorLog file plus what it wrote to stdout/stderr). */
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts one server on the rendered template; resolves when it answers on its port. */
export async function start(kind: ServerKind, template: string, root: string): Promise<Instance> {
  const port = await freePort();
  const run = fs.mkdtempSync(path.join(os.tmpdir(), `tswsgi-diff-${kind}-`));
  fs.chmodSync(run, 0o755);
  const conf = path.join(run, 'httpd.conf');
  fs.writeFileSync(conf, render(PROLOGUE + template, { PORT: String(port), ROOT: root, RUN: run }));
  return launch(kind, conf, run, port);
}

/**
 * Starts one server on a written configuration whose ErrorLog is run/error.log; resolves when it
 * answers on `port`. Stopping it removes `run`.
 */
export async function launch(kind: ServerKind, conf: string, run: string, port: number): Promise<Instance> {
  const child = kind === 'apache'
    ? spawn(APACHE, ['-f', conf, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } })
    : spawn(process.execPath, [BIN_TSWSGI, 'serve', '-f', conf, '--python', PYTHON], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () => {
    let file = '';
    try { file = fs.readFileSync(path.join(run, 'error.log'), 'utf8'); } catch { /* not written yet */ }
    return file + output;
  };
  const instance: Instance = { kind, port, run, conf, errorLog, stop: () => stop(child, exited, run) };
  try {
    if (kind === 'tswsgi') await waitFor(() => output.includes('tswsgi: serving'), child, 20_000);
    else await waitForPort(port, child, 20_000);
  } catch (err) {
    const log = errorLog();
    await instance.stop();
    throw new Error(`${kind} did not start on ${conf}: ${(err as Error).message}\n${log}`);
  }
  return instance;
}

async function waitFor(ready: () => boolean, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ready()) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    if (Date.now() > until) throw new Error(`not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitForPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  let open = false;
  const probe = () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { open = true; socket.destroy(); });
    socket.once('error', () => socket.destroy());
  };
  const timer = setInterval(probe, 50);
  try {
    await waitFor(() => open, child, ms);
  } finally {
    clearInterval(timer);
  }
}

/** SIGTERM the process we started (Apache runs in the foreground, so its pid is the parent's) and wait for it. */
async function stop(child: ChildProcess, exited: Promise<void>, run: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(run, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Requests and what is observed of their answers

export interface Probe {
  /** Names the request in diffs and in expected-differences.ts. */
  name: string;
  method?: string;
  path: string;
  /** Host header; {{PORT}} becomes the server's port. Default: 127.0.0.1:{{PORT}}. */
  host?: string;
  headers?: Record<string, string>;
  /** A request body (latin-1), with its Content-Length given in `headers`. */
  body?: string;
  /**
   * Compare the application's module-global state and which process answered. Only
   * meaningful where both servers have exactly one process for the request's group.
   */
  state?: boolean;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function send(port: number, probe: Probe): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Host: render(probe.host ?? '127.0.0.1:{{PORT}}', { PORT: String(port) }),
      ...probe.headers,
    };
    const req = http.request({ host: '127.0.0.1', port, path: probe.path, method: probe.method ?? 'GET', headers, agent: false, setHost: false, maxHeaderSize: 65536 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${probe.name} within 15 s`)));
    req.on('error', reject);
    req.end(probe.body === undefined ? undefined : Buffer.from(probe.body, 'latin1'));
  });
}

/** The flat key -> value view of an answer that the comparison works on. */
export type Observation = Map<string, string>;

const COMPARED_HEADERS = ['content-type', 'location', 'x-probe-method'];

/**
 * Status, selected headers, and either the probe's report (environ, wsgi.* flags, state)
 * or the body. Each server's own port and run folder are replaced by placeholders.
 */
/** Replaces the instance's own port and run folder by {{PORT}} and {{RUN}}. */
export function cleanValue(instance: Instance, value: string): string {
  return value.split(instance.run).join('{{RUN}}').replace(new RegExp(`(?<![0-9])${instance.port}(?![0-9])`, 'g'), '{{PORT}}');
}

export function observe(answer: Answer, probe: Probe, instance: Instance, pids: Map<number, string>): Observation {
  const clean = (value: string) => cleanValue(instance, value);
  const seen: Observation = new Map();
  seen.set('status', String(answer.status));
  for (const name of COMPARED_HEADERS) {
    const value = answer.headers[name];
    if (value !== undefined) seen.set(`header.${name}`, clean(String(value)));
  }
  const length = answer.headers['content-length'];
  const type = String(answer.headers['content-type'] ?? '');
  const isHead = (probe.method ?? 'GET') === 'HEAD';
  const report = type === 'application/json' && answer.status === 200 && !isHead ? probeReport(answer.body) : null;
  if (type === 'application/json' && answer.status === 200 && isHead && answer.headers['x-probe-method'] !== undefined) {
    // The report's length depends on values that may differ (SERVER_SOFTWARE...): only its presence is compared.
    seen.set('header.content-length', length === undefined ? 'absent' : 'present');
  } else if (report) {
    // As above; that it is right is what counts.
    seen.set('header.content-length', length === String(answer.body.length) ? 'matches body' : `${length} for a body of ${answer.body.length}`);
    seen.set('callable', report.callable);
    for (const key of ['wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once'] as const) seen.set(key, String(report[key]));
    for (const [key, value] of Object.entries(report.environ)) seen.set(`environ.${key}`, clean(value));
    for (const [key, value] of Object.entries(report.others)) seen.set(`environ.${key}`, `(${value})`);
    if (typeof report.module === 'string') seen.set('module', report.module);
    else for (const [key, value] of Object.entries(report.module)) seen.set(`module.${key}`, clean(value));
    if (probe.state) {
      seen.set('state.requests', String(report.state.requests));
      seen.set('state.loads', report.state.loads.join(' '));
      // Processes by order of first appearance: p1, p2, ...
      if (!pids.has(report.pid)) pids.set(report.pid, `p${pids.size + 1}`);
      seen.set('process', pids.get(report.pid)!);
    }
  } else {
    if (length !== undefined) seen.set('header.content-length', String(length));
    seen.set('body', clean(answer.body.toString('latin1')));
  }
  return seen;
}

interface ProbeReport {
  callable: string;
  environ: Record<string, string>;
  others: Record<string, string>;
  pid: number;
  'wsgi.multithread': boolean;
  'wsgi.multiprocess': boolean;
  'wsgi.run_once': boolean;
  state: { requests: number; loads: string[] };
  /** The import mod_wsgi module's attributes (repr), or why there is none. */
  module: Record<string, string> | string;
}

function probeReport(body: Buffer): ProbeReport | null {
  try {
    const value = JSON.parse(body.toString('utf8')) as Partial<ProbeReport>;
    return typeof value === 'object' && value !== null && typeof value.environ === 'object' ? value as ProbeReport : null;
  } catch {
    return null;
  }
}

export interface Difference {
  key: string;
  apache: string | undefined;
  tswsgi: string | undefined;
}

export function compare(apache: Observation, tswsgi: Observation): Difference[] {
  const keys = [...new Set([...apache.keys(), ...tswsgi.keys()])].sort();
  return keys.filter((key) => apache.get(key) !== tswsgi.get(key)).map((key) => ({ key, apache: apache.get(key), tswsgi: tswsgi.get(key) }));
}

export const show = (value: string | undefined): string =>
  value === undefined ? '(absent)' : JSON.stringify(value.length > 300 ? value.slice(0, 300) + '...' : value);

// ---------------------------------------------------------------------------------------
// Access logs: the lines each request added, observed field by field

/**
 * How a case reads one of its log files: its fields' names in order, split as Apache's formats
 * quote them ("...", [...] or a word; one field is the whole line), or 'name=value' for
 * tab-separated fields that name themselves.
 */
export type LogFields = readonly string[] | 'name=value';

export const logSizes = (instance: Instance, files: readonly string[]): number[] =>
  files.map((file) => fs.statSync(path.join(instance.run, file), { throwIfNoEntry: false })?.size ?? 0);

/** %t's [06/Dec/2026:02:26:54 +0000]: the second differs between the servers, the form must not. */
const CLF_TIME = /\[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]/g;

/** The fields of one line, or null when it does not split into `fields`. */
function splitLine(line: string, fields: LogFields): Array<[string, string]> | null {
  if (fields === 'name=value') {
    return line.split('\t').map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? ['?', pair] : [pair.slice(0, eq), pair.slice(eq + 1)];
    });
  }
  if (fields.length === 1) return [[fields[0]!, line]];
  const tokens = line.match(/"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+/g) ?? [];
  return tokens.length === fields.length ? fields.map((name, i) => [name, tokens[i]!]) : null;
}

/**
 * What the instance wrote to `logs` since `before` (their sizes), once it is done writing: once a
 * line appeared, until nothing changed for 60 ms (at most 3 s in all). Keys are `log.FILE FIELD`,
 * or `log.FILE` for lines that are not one per request or do not split into the fields.
 */
export async function observeLogs(instance: Instance, logs: Readonly<Record<string, LogFields>>, before: readonly number[]): Promise<Observation> {
  const files = Object.keys(logs);
  const until = Date.now() + 3000;
  let sizes = logSizes(instance, files);
  let quietSince = Date.now();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
    const now = logSizes(instance, files);
    if (now.some((size, i) => size !== sizes[i])) quietSince = Date.now();
    sizes = now;
    if (sizes.some((size, i) => size > before[i]!) && Date.now() - quietSince >= 60) break;
  }
  const seen: Observation = new Map();
  files.forEach((file, i) => {
    if (sizes[i]! <= before[i]!) return;
    const buffer = Buffer.alloc(sizes[i]! - before[i]!);
    const fd = fs.openSync(path.join(instance.run, file), 'r');
    try {
      fs.readSync(fd, buffer, 0, buffer.length, before[i]!);
    } finally {
      fs.closeSync(fd);
    }
    const text = cleanValue(instance, buffer.toString('latin1')).replace(CLF_TIME, '[TIME]');
    const lines = text.replace(/\n$/, '').split('\n');
    const fields = lines.length === 1 ? splitLine(lines[0]!, logs[file]!) : null;
    if (!fields) seen.set(`log.${file}`, text);
    else for (const [name, value] of fields) seen.set(`log.${file} ${name}`, value);
  });
  return seen;
}
