// The `tswsgi` command line.

import { Command, InvalidArgumentError, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { configFilePath, loadConfig } from '../config/load';
import { readEnvvars } from '../config/envvars';
import type { ServerConfig } from '../config/model';
import { START_SERVER_DEFAULTS, startServerConfig, type StartServerOptions } from '../config/start-server';
import { pythonProblems } from '../process/python-check';
import { parseSeconds } from '../config/seconds';
import { controlSocketOf, runningServers, sendControl, trustedControlSocket, type ControlCommand } from '../control-socket';
import { Server } from '../server';
import { directivesMarkdown, directivesText } from './directive-docs';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

function seconds(value: string): number {
  const parsed = parseSeconds(value);
  if (parsed === null) throw new InvalidArgumentError('expected a whole number of seconds.');
  if (typeof parsed === 'string') throw new InvalidArgumentError(`${parsed}.`);
  return parsed;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const pythonOption = () => new Option('--python <path>', 'Python interpreter to run the workers with (unless python-home says otherwise)')
  .env('TSWSGI_PYTHON').default(START_SERVER_DEFAULTS.python);

/** What chose --python's value, for messages about that interpreter. */
function pythonSource(command: Command): string {
  const python = command.getOptionValue('python') as string;
  switch (command.getOptionValueSource('python')) {
    case 'env': return `TSWSGI_PYTHON=${python}`;
    case 'default': return `the default interpreter, ${python} (--python or TSWSGI_PYTHON choose another)`;
    default: return `--python ${python}`;
  }
}

/** How to read the config file, as apache2's command line says it (and Debian's envvars file). */
interface LayoutOptions {
  serverRoot?: string;
  directiveBefore: string[];
  directiveAfter: string[];
  envvars?: string;
}

/** Adds LayoutOptions' options to a command that reads a config file. */
const layoutOptions = (command: Command) => command
  .option('-d, --server-root <dir>', 'ServerRoot until the file sets one, and what a relative -f is relative to (as apache2 -d)')
  .option('-C, --directive-before <directive>', 'a directive to read before the file (repeatable, as apache2 -C)', collect, [])
  .option('-c, --directive-after <directive>', 'a directive to read after the file (repeatable, as apache2 -c)', collect, [])
  .option('--envvars <file>', 'take ${VAR} values from what this shell file exports, e.g. /etc/apache2/envvars (simple assignments and ifs only)');

interface ConfigFileOptions extends LayoutOptions {
  file: string;
  define: string[];
  python: string;
  pythonSource: string;
}

/** A config file with errors: `messages` holds each, with its file:line. */
class ConfigFileErrors extends Error {
  constructor(readonly file: string, readonly messages: string[], readonly warnings: string[]) {
    super(messages.join('; '));
  }
}

/** The config file's ServerConfig and warnings; throws ConfigFileErrors if it has errors. Also what a reload reads. */
function loadConfigFile(options: ConfigFileOptions): { config: ServerConfig; warnings: string[] } {
  const result = loadConfig(options.file, {
    defines: options.define, python: options.python, pythonSource: options.pythonSource,
    serverRoot: options.serverRoot, before: options.directiveBefore, after: options.directiveAfter,
    env: options.envvars === undefined ? undefined : readEnvvars(options.envvars, process.env),
  });
  if (result.errors.length > 0) throw new ConfigFileErrors(options.file, result.errors.map((error) => error.message), result.warnings);
  return result;
}

/** Prints each problem and exits 1, counting them against `file`. */
function fail(program: Command, file: string, messages: string[]): never {
  for (const message of messages) process.stderr.write(`tswsgi: ${message}\n`);
  const count = messages.length;
  return program.error(`tswsgi: ${count} error${count === 1 ? '' : 's'} in ${file}`, { exitCode: 1 });
}

/** Exits 1, naming what chose each interpreter, unless every group's Python runs and is new enough. */
function checkPythons(program: Command, config: ServerConfig, file: string): void {
  const problems = pythonProblems(config.processGroups);
  if (problems.length > 0) fail(program, file, problems);
}

const printWarnings = (warnings: string[]) => {
  for (const warning of warnings) process.stderr.write(`tswsgi: warning: ${warning}\n`);
};

/** Reads the config file; prints every error with its file:line and exits 1 if there are any. */
function readConfigFile(program: Command, options: ConfigFileOptions): ServerConfig {
  let result;
  try {
    result = loadConfigFile(options);
  } catch (err) {
    if (!(err instanceof ConfigFileErrors)) return program.error(`tswsgi: ${(err as Error).message}`);
    printWarnings(err.warnings);
    return fail(program, path.resolve(err.file), err.messages);
  }
  printWarnings(result.warnings);
  return result.config;
}

async function run(program: Command, config: ServerConfig, reload: () => ServerConfig,
  describe: (addresses: AddressInfo[], server: Server) => string): Promise<void> {
  let server: Server;
  try {
    server = new Server(config, reload);
  } catch (err) {
    return program.error(`tswsgi: ${(err as Error).message}`);
  }
  server.handleSignals();
  let addresses;
  try {
    addresses = await server.start();
  } catch (err) {
    return program.error(`tswsgi: ${(err as Error).message}`);
  }
  if (addresses) process.stdout.write(`tswsgi: serving ${describe(addresses, server)} (pid ${process.pid})\n`);
}

/** The pools the server started, as the ready line lists them. */
const poolsOf = (server: Server) => server.host.supervisor.all
  .map((pool) => `${pool.label} ${pool.processGroupConfig.processes} x ${pool.processGroupConfig.threads}`).join(', ');

interface ControlOptions extends LayoutOptions {
  file?: string;
  define: string[];
  python: string;
  pythonSource: string;
  pid?: number;
}

/**
 * The control socket of the server the options point at: -f's runtime directory or PidFile,
 * --pid, or the only one running; only one that the user running this command can trust
 * (throws why not).
 */
function controlSocketFor(program: Command, options: ControlOptions): string {
  let pid = options.pid;
  if (options.file) {
    const config = readConfigFile(program, { ...options, file: options.file });
    if (config.runtimeDir !== null) return trustedControlSocket(config.runtimeDir);
    if (pid === undefined && config.pidFile && fs.existsSync(config.pidFile)) pid = Number(fs.readFileSync(config.pidFile, 'utf8').trim());
  }
  if (pid !== undefined) return controlSocketOf(pid);
  const running = runningServers();
  if (running.length === 1) return running[0]!;
  return program.error(running.length === 0 ? 'tswsgi: no running tswsgi server of this user found'
    : `tswsgi: ${running.length} tswsgi servers are running; say which with --pid or -f`);
}

function controlCommand(program: Command, name: string, description: string): Command {
  return program.command(name)
    .description(description)
    .option('-f, --file <httpd.conf>', 'the configuration file the server runs (its PidFile or runtime directory find it)')
    .option('-D, --define <name>', 'define a parameter for <IfDefine> (repeatable)', collect, [])
    .option('--pid <pid>', 'process id of the server', wholeNumber)
    .addOption(pythonOption());
}

async function sendCommand(program: Command, options: ControlOptions, command: ControlCommand): Promise<void> {
  let reply;
  try {
    reply = await sendControl(controlSocketFor(program, options), command);
  } catch (err) {
    return program.error(`tswsgi: ${(err as Error).message}`);
  }
  if (!reply.ok) return program.error(`tswsgi: ${reply.message}`, { exitCode: 1 });
  process.stdout.write(`tswsgi: ${reply.message}\n`);
}

const url = (host: string, port: number, mount = '/') => `http://${host.includes(':') ? `[${host}]` : host}:${port}${mount}`;

export function buildProgram(): Command {
  const program = new Command('tswsgi')
    .description('Host Python WSGI applications, reading Apache mod_wsgi\'s directives.')
    .version('0.1.0');

  program.command('start-server')
    .description('Serve one WSGI script file or module with no config file (like mod_wsgi-express start-server).')
    .argument('<script>', 'the WSGI script file, or with --application-type module, MODULE[:CALLABLE] (mysite.wsgi:application)')
    .addOption(new Option('--application-type <type>', 'what <script> names: a script file, or a module imported by name from the working directory or python-path')
      .choices(['script', 'module']).default(START_SERVER_DEFAULTS.applicationType))
    .option('--host <host>', 'address to listen on', START_SERVER_DEFAULTS.host)
    .option('--port <port>', 'port to listen on', wholeNumber, START_SERVER_DEFAULTS.port)
    .option('--processes <n>', 'worker processes', wholeNumber, START_SERVER_DEFAULTS.processes)
    .option('--threads <n>', 'request threads in each process', wholeNumber, START_SERVER_DEFAULTS.threads)
    .option('--mount-point <path>', 'URL path the application is mounted at', START_SERVER_DEFAULTS.mountPoint)
    .option('--callable-object <name>', 'name of the WSGI callable in the script', START_SERVER_DEFAULTS.callableObject)
    .option('--application-group <name>', 'application group (interpreter) the script and import scripts run in', START_SERVER_DEFAULTS.applicationGroup)
    .addOption(pythonOption())
    .option('--python-path <dir>', 'directory to put on sys.path (repeatable)', collect, [])
    .option('--working-directory <dir>', 'directory the workers run in (default: the current one)')
    .option('--import-script <path>', 'script to load in every process before it takes requests (repeatable)', collect, [])
    .option('--limit-request-body <bytes>', 'largest request body accepted', wholeNumber, START_SERVER_DEFAULTS.limitRequestBody)
    .option('--log-level <level>', 'error log level: emerg, alert, crit, error, warn, notice, info, debug', START_SERVER_DEFAULTS.logLevel)
    .option('--access-log', 'write an access log line (Apache combined format) to stdout for each request', START_SERVER_DEFAULTS.accessLog)
    .option('--shutdown-timeout <seconds>', 'how long SIGTERM waits for in-flight requests', seconds, START_SERVER_DEFAULTS.shutdownTimeout)
    .action(async (script: string, given: Omit<StartServerOptions, 'pythonSource'>, command: Command) => {
      const options: StartServerOptions = { ...given, pythonSource: pythonSource(command) };
      let config: ServerConfig;
      try {
        config = startServerConfig(script, options);
      } catch (err) {
        return program.error(`tswsgi: ${(err as Error).message}`);
      }
      const problems = pythonProblems(config.processGroups);
      if (problems.length > 0) return program.error(`tswsgi: ${problems.join('; ')}`);
      // start-server has no way to switch users: as root, the application would run as root unsaid.
      if (process.geteuid!() === 0) {
        printWarnings(['running as root, so the application runs as root; to run it as another user, use `tswsgi serve -f` ' +
          'with `User` or `WSGIDaemonProcess user=`']);
      }
      const mount = config.main.aliases[0]!.pattern;
      await run(program, config, () => startServerConfig(script, options), ([address]) => `${config.main.aliases[0]!.target} at ${url(options.host, address!.port, mount === '/' ? '/' : mount + '/')}` +
        `, ${options.processes} process${options.processes === 1 ? '' : 'es'} x ${options.threads} threads`);
    });

  program.command('serve')
    .description('Serve what an Apache configuration file with mod_wsgi directives describes.')
    .requiredOption('-f, --file <httpd.conf>', 'the configuration file')
    .option('-D, --define <name>', 'define a parameter for <IfDefine> (repeatable)', collect, [])
    .addOption(pythonOption())
    .action(async (given: Omit<ConfigFileOptions, 'pythonSource'>, command: Command) => {
      const options: ConfigFileOptions = { ...given, pythonSource: pythonSource(command) };
      const config = readConfigFile(program, options);
      checkPythons(program, config, path.resolve(options.file));
      await run(program, config, () => loadConfigFile(options).config, (addresses, server) => `${path.resolve(options.file)} at ${addresses.map((a, i) => url(config.listen[i]!.host, a.port)).join(' and ')}` +
        `, ${poolsOf(server)}`);
    });

  program.command('configtest')
    .description('Check a configuration file; print every error with its file and line.')
    .requiredOption('-f, --file <httpd.conf>', 'the configuration file')
    .option('-D, --define <name>', 'define a parameter for <IfDefine> (repeatable)', collect, [])
    .addOption(pythonOption())
    .action((given: Omit<ConfigFileOptions, 'pythonSource'>, command: Command) => {
      const options: ConfigFileOptions = { ...given, pythonSource: pythonSource(command) };
      checkPythons(program, readConfigFile(program, options), path.resolve(options.file));
      process.stderr.write('Syntax OK\n');
    });

  controlCommand(program, 'graceful', 'Graceful restart of a running server (as SIGUSR1): re-read its config, replace every process, new before old.')
    .action((options: Omit<ControlOptions, 'pythonSource'>, from: Command) => sendCommand(program, { ...options, pythonSource: pythonSource(from) }, { command: 'graceful' }));
  controlCommand(program, 'restart', 'Restart a running server (as SIGHUP): as graceful, but replaced processes get only shutdown-timeout to finish.')
    .action((options: Omit<ControlOptions, 'pythonSource'>, from: Command) => sendCommand(program, { ...options, pythonSource: pythonSource(from) }, { command: 'restart' }));
  controlCommand(program, 'restart-group', 'Replace every process of one process group of a running server, new before old.')
    .argument('<name>', 'the WSGIDaemonProcess name (%{GLOBAL} for the server\'s own pool)')
    .action((name: string, options: Omit<ControlOptions, 'pythonSource'>, from: Command) => sendCommand(program, { ...options, pythonSource: pythonSource(from) }, { command: 'restart-group', group: name }));

  // apache2's -d, -C and -c, and Debian's envvars, for every command that reads a config file.
  // -f is then the file's full name, for every message about it.
  for (const command of program.commands.filter((c) => c.options.some((option) => option.long === '--file'))) {
    layoutOptions(command).hook('preAction', (action) => {
      const { file, serverRoot } = action.opts<{ file?: string; serverRoot?: string }>();
      if (file !== undefined) action.setOptionValue('file', configFilePath(file, serverRoot));
    });
  }

  // `tswsgi help directives`: help is a command group here, so commander's own help command steps aside.
  program.helpCommand(false);
  const help = program.command('help').description('Help on a topic: directives.').action(() => program.help());
  help.command('directives')
    .description('List every directive tswsgi reads, with its syntax, contexts and default.')
    .option('--markdown', 'print docs/directives.md instead')
    .action((options: { markdown?: boolean }) => {
      process.stdout.write(options.markdown ? directivesMarkdown() : directivesText());
    });
  return program;
}

export function main(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((err: Error) => {
    process.stderr.write(`tswsgi: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
