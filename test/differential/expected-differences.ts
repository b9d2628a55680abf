// THE list of ways tswsgi may answer differently from Apache 2.4 + mod_wsgi 4.9.4 in the
// differential tests, each with its reason. Every other difference fails the test.
//
// Two kinds of entry:
// - KEYS: an observed key (see harness.ts `observe`: `status`, `header.NAME`, `body`,
//   `environ.NAME`, `module.NAME`, `callable`, `state.*`, `process`) whose value may differ in any request,
//   with where it must still be present.
// - REQUESTS: a whole answer that differs for a known reason; its `explains` check decides,
//   from both observations, whether the differences seen are exactly that one.
//
// An entry that no request needed is reported (as a test diagnostic) so that stale entries
// get noticed and removed.

import type { Difference, Observation } from './harness';

export interface KeyDifference {
  key: string;
  /** Where the key must be present even though its value may differ. */
  presence: 'both' | 'apache only' | 'tswsgi only';
  reason: string;
}

export const KEYS: KeyDifference[] = [
  // Identity of the server.
  { key: 'environ.SERVER_SOFTWARE', presence: 'both', reason: 'names the server: "Apache/2.4.x (Debian) mod_wsgi/4.9.4 Python/3.11" against "tswsgi/x.y.z".' },
  { key: 'environ.apache.version', presence: 'apache only', reason: 'the version tuple of the Apache that embeds mod_wsgi; there is no Apache in tswsgi.' },
  // Per request and per connection.
  { key: 'environ.REMOTE_PORT', presence: 'both', reason: 'each request comes from a new ephemeral client port.' },
  { key: 'environ.mod_wsgi.request_id', presence: 'both', reason: 'a unique id per request (Apache\'s log id; tswsgi\'s own).' },
  { key: 'environ.mod_wsgi.connection_id', presence: 'apache only', reason: 'Apache\'s log id of the connection, which it makes only once it has written an error-log line about one of its requests (mod_access_compat\'s denial that Satisfy Any then overrules); tswsgi\'s error log has no ids.' },
  { key: 'environ.mod_wsgi.request_start', presence: 'both', reason: 'a timestamp (microseconds).' },
  { key: 'environ.mod_wsgi.script_start', presence: 'both', reason: 'a timestamp (microseconds).' },
  { key: 'environ.mod_wsgi.queue_start', presence: 'apache only', reason: 'daemon mode: when mod_wsgi\'s daemon queued the request, a timestamp; tswsgi has no such queue stage.' },
  { key: 'environ.mod_wsgi.daemon_start', presence: 'apache only', reason: 'daemon mode: when the daemon thread took the request, a timestamp; tswsgi does not report it.' },
  { key: 'environ.mod_wsgi.daemon_connects', presence: 'apache only', reason: 'daemon mode: how many attempts the Apache child needed to connect to the daemon socket; tswsgi\'s workers keep their connections open, there is no per-request connect.' },
  { key: 'environ.mod_wsgi.daemon_restarts', presence: 'apache only', reason: 'daemon mode: how many times the Apache child saw the daemon restart while connecting; no equivalent in tswsgi.' },
  // Per process and per thread counters, which depend on how requests were spread.
  { key: 'environ.mod_wsgi.total_requests', presence: 'both', reason: 'requests served so far by the process; depends on which process took which request.' },
  { key: 'environ.mod_wsgi.thread_id', presence: 'both', reason: 'which request thread took the request.' },
  { key: 'environ.mod_wsgi.thread_requests', presence: 'both', reason: 'requests served so far by that thread.' },
  // Accepted real differences.
  {
    key: 'environ.mod_wsgi.connection_id', presence: 'apache only',
    reason: 'Apache\'s connection log id, which it makes only once something was logged for the connection (here the refusal an ErrorDocument ' +
      'answers, before the redirected request reaches mod_wsgi); tswsgi gives connections no log id.',
  },
  {
    key: 'environ.PATH_TRANSLATED', presence: 'apache only',
    reason: 'Apache sets it (when PATH_INFO is not empty) from a sub-request mapping PATH_INFO as a URL (ap_add_cgi_vars); ' +
      'tswsgi leaves it out. WSGI does not define it and applications do not use it; implementing it means routing PATH_INFO ' +
      'through the vhost\'s aliases in environ.ts (possible later).',
  },
  {
    key: 'environ.wsgi.errors', presence: 'both',
    reason: 'only the type name is compared for non-str values, and it differs: mod_wsgi\'s log object is a TextIOWrapper, ' +
      'tswsgi\'s is its own LogStream; both are text streams writing to the error log as PEP 3333 asks.',
  },
];

export interface RequestContext {
  config: string;
  request: string;
  apache: Observation;
  tswsgi: Observation;
  differences: Difference[];
  /** tswsgi's error log with its port and run folder replaced by {{PORT}} and {{RUN}}. */
  tswsgiLog: string;
}

export interface RequestDifference {
  name: string;
  reason: string;
  /**
   * The keys among `differences` this entry explains, or null when it does not apply. Keys it
   * does not return are still checked against KEYS (and fail if not listed there).
   */
  explains(ctx: RequestContext): string[] | null;
}

export const REQUESTS: RequestDifference[] = [
  {
    name: 'a 413 answer\'s length',
    reason: 'Apache answers a body over LimitRequestBody without Content-Length, the connection\'s close ending the page; tswsgi ' +
      'sends Content-Length as well (and closes too). Clients read the same page either way.',
    explains: (ctx) => ctx.apache.get('status') === '413' && ctx.tswsgi.get('status') === '413' && ctx.apache.get('header.content-length') === undefined
      && ctx.differences.every((d) => d.key === 'header.content-length') ? ['header.content-length'] : null,
  },
  {
    name: 'CGI scripts and server-side includes are refused, not run',
    reason: 'Apache runs a script under ScriptAlias (mod_cgid) and processes an INCLUDES file under Options Includes (mod_include); ' +
      'tswsgi does neither, and answers 403 rather than send the script or the unprocessed page (src/http/router.ts).',
    explains: (ctx) => ctx.config === 'cgi.conf' && ctx.apache.get('status') === '200' && ctx.tswsgi.get('status') === '403'
      ? ctx.differences.map((d) => d.key) : null,
  },
  {
    name: 'code and dot-files of an application are never static files',
    reason: 'Apache serves any file an Alias or DocumentRoot reaches, so a DocumentRoot or Alias over an application\'s ' +
      'directory hands out its .wsgi/.py source and its .env or .git; tswsgi refuses them with 403 (src/http/router.ts, neverServed).',
    explains: (ctx) => ctx.config === 'paths.conf' && ctx.apache.get('status') === '200' && ctx.tswsgi.get('status') === '403'
      ? ctx.differences.map((d) => d.key) : null,
  },
  {
    name: 'mod_wsgi.application_group in the main interpreter after sub-interpreters imported mod_wsgi',
    reason: 'mod_wsgi is a single-phase C extension: on Python 3.11 a sub-interpreter that imports it can leave its own ' +
      'application_group in the module the main interpreter sees, so Apache\'s answer depends on which child took the ' +
      'earlier requests (seen once in several runs). tswsgi\'s main interpreter always says \'\', as its environ does.',
    explains: (ctx) => ctx.tswsgi.get('environ.mod_wsgi.application_group') === '' && ctx.tswsgi.get('module.application_group') === "''"
      && ctx.apache.get('environ.mod_wsgi.application_group') === '' && ctx.apache.get('module.application_group') !== "''"
      ? ['module.application_group'] : null,
  },
  {
    name: 'mod_wsgi.maximum_processes of the %{GLOBAL} pool',
    reason: 'embedded mode reports how many children Apache may run (MaxRequestWorkers / ThreadsPerChild: 2 here); '
      + 'tswsgi\'s %{GLOBAL} pool has a fixed number of processes (StartServers: 1 here), and reports that. '
      + 'In a daemon group both report its processes=.',
    explains: (ctx) => ctx.tswsgi.get('environ.mod_wsgi.process_group') === ''
      && ctx.differences.some((d) => d.key === 'module.maximum_processes') ? ['module.maximum_processes'] : null,
  },
  {
    name: 'a header field over LimitRequestFieldSize, or more than LimitRequestFields: 431',
    reason: 'Apache answers 400 with a note of which limit; tswsgi answers 431 Request Header Fields Too Large (RFC 6585), which '
      + 'says what is wrong (docs/migrating-from-mod_wsgi.md). Where the limits fall is the same, to the byte.',
    explains: (ctx) => ctx.config === 'limits.conf' && ctx.apache.get('status') === '400' && ctx.tswsgi.get('status') === '431'
      && ctx.differences.every((d) => ['status', 'body', 'header.content-length'].includes(d.key)) ? ctx.differences.map((d) => d.key) : null,
  },
  {
    name: 'a 413 for a body over LimitRequestBody: Content-Length',
    reason: 'Apache sends the 413 page without Content-Length and closes the connection to end it; tswsgi gives the length, and '
      + 'closes the connection too. The page is the same.',
    explains: (ctx) => ctx.apache.get('status') === '413' && ctx.tswsgi.get('status') === '413'
      && ctx.apache.get('header.content-length') === undefined && ctx.tswsgi.get('header.content-length') !== undefined
      ? ['header.content-length'] : null,
  },
  {
    name: 'a chunked body over LimitRequestBody: one page',
    reason: 'under Apache the input filter writes its 413 page as the application reads past the limit, and mod_wsgi\'s read '
      + 'error then appends a 500 page to the same response; tswsgi refuses the body before the application runs, with the 413 page alone.',
    explains: (ctx) => {
      const apache = ctx.apache.get('body');
      const tswsgi = ctx.tswsgi.get('body');
      return ctx.apache.get('status') === '413' && ctx.tswsgi.get('status') === '413' && apache !== undefined && tswsgi !== undefined
        && apache.startsWith(tswsgi) && apache.slice(tswsgi.length).includes('<title>500 Internal Server Error</title>') ? ['body'] : null;
    },
  },
  {
    name: 'access log: bytes sent with the head (%O, %S)',
    reason: '%O and %S count the response head, and the heads differ in a header the comparison leaves out: Apache sends '
      + '"Server: Apache/2.4.x (Debian) mod_wsgi/4.9.4 Python/3.11", tswsgi no Server header. %b, %B and %I, which the heads '
      + 'do not change, must agree.',
    explains: (ctx) => logKeys(ctx, /^log\.\S+ (%O|O|S)$/, numbers),
  },
  {
    name: 'access log: durations (%D, %T)',
    reason: 'how long each server took; %T in seconds is 0 for both unless a process was slow to start.',
    explains: (ctx) => logKeys(ctx, /^log\.\S+ (D|T|Tms)$/, numbers),
  },
  {
    name: 'access log: process ids (%P)',
    reason: 'the process that answered: an Apache child, the tswsgi front end.',
    explains: (ctx) => logKeys(ctx, /^log\.\S+ P$/, numbers),
  },
  {
    name: 'access log: request log ids (%L)',
    reason: 'a WSGI request has an id in both (mod_wsgi.request_id), each server its own. Apache also makes one for a request '
      + 'it writes an error-log line about (a missing file or script at LogLevel info); tswsgi\'s error log has no request ids, '
      + 'so there %L is "-".',
    explains: (ctx) => logKeys(ctx, /^log\.\S+ L$/, (apache, tswsgi) => apache !== '-' && (tswsgi !== '-' || ctx.apache.get('status') === '404')),
  },
];

const numbers = (apache: string, tswsgi: string) => /^\d+$/.test(apache) && /^\d+$/.test(tswsgi);

/** The differences of access log fields whose keys match, if `agree` accepts every one of their value pairs. */
function logKeys(ctx: RequestContext, key: RegExp, agree: (apache: string, tswsgi: string) => boolean): string[] | null {
  const found = ctx.differences.filter((d) => key.test(d.key));
  if (found.length === 0 || !found.every((d) => d.apache !== undefined && d.tswsgi !== undefined && agree(d.apache, d.tswsgi))) return null;
  return found.map((d) => d.key);
}
