// What `npm run bench` measures: the apps, and the scenarios that load them (how many connections,
// what wrk sends, whether memory is sampled, which servers the ratios divide by).

/** A WSGI application file of the repository, served under the module name `module`. */
export interface BenchApp {
  module: string;
  /** From the repository's root. */
  file: string;
  /** What it answers, for the table's heading. */
  about: string;
  /** What /usr/bin/python3 needs to import it, when anything. */
  install?: string;
}

export interface Scenario {
  /** What BENCH_SCENARIOS matches. */
  name: string;
  title: string;
  app: BenchApp;
  connections: number;
  /** A wrk Lua script (from the repository's root) saying what to send; a GET of / without one. */
  script?: string;
  /** Sample the resident memory of every process of the server during the measured runs. */
  memory?: boolean;
  /** The servers whose requests/s every row is divided by, a column each. */
  baselines: string[];
}

const HELLO: BenchApp = { module: 'hello', file: 'examples/hello.wsgi', about: '`Hello, world!` (14 bytes, with a Content-Length)' };
const FLASK: BenchApp = {
  module: 'flask_app', file: 'bench/apps/flask_app.py', install: 'apt-get install python3-flask',
  about: 'a Flask route answering `jsonify()` of a small dict (64 bytes)',
};
const DJANGO: BenchApp = {
  module: 'django_app', file: 'bench/apps/django_app.py', install: 'apt-get install python3-django',
  about: 'a Django view answering a `JsonResponse` of a small dict (71 bytes); single-file settings, DEBUG off, CommonMiddleware',
};
const UPLOAD: BenchApp = {
  module: 'upload_app', file: 'bench/apps/upload_app.py',
  about: 'POST of 1 MiB; the app reads all of wsgi.input, 64 KiB at a time, and answers its length',
};
const DOWNLOAD: BenchApp = {
  module: 'download_app', file: 'bench/apps/download_app.py',
  about: 'GET answered with 1 MiB, yielded as 16 pieces of 64 KiB, with a Content-Length',
};

const APACHE = 'Apache mod_wsgi daemon';
const HELLO_BASELINES = [APACHE, 'uWSGI http-socket', 'uWSGI http11-socket', 'raw node:http', 'hop floor'];

const hello = (connections: number, headline = ''): Scenario => ({
  name: `hello-${connections}`, title: `hello, ${connections} connections${headline}`, app: HELLO, connections,
  memory: connections === 16, baselines: HELLO_BASELINES,
});

export const SCENARIOS: Scenario[] = [
  hello(16, ' (the headline)'),
  hello(64),
  hello(256),
  { name: 'flask', title: 'Flask JSON route, 16 connections', app: FLASK, connections: 16, baselines: [APACHE] },
  { name: 'django', title: 'Django view, 16 connections', app: DJANGO, connections: 16, baselines: [APACHE] },
  {
    name: 'upload', title: '1 MiB upload, 16 connections', app: UPLOAD, connections: 16, script: 'bench/apps/upload.lua',
    memory: true, baselines: [APACHE],
  },
  { name: 'download', title: '1 MiB download, 16 connections', app: DOWNLOAD, connections: 16, memory: true, baselines: [APACHE] },
];
