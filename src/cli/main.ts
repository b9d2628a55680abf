// The `tswsgi` command line.

import { Command, InvalidArgumentError, Option } from 'commander';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../config/load';
import { DIR_DEFAULTS, type ServerConfig } from '../config/model';
import { startServerConfig, type StartServerOptions } from '../config/start-server';
import { checkPython } from '../process/python-check';
import { groupLabel } from '../process/supervisor';
import { Server } from '../server';
import { directivesMarkdown, directivesText } from './directive-docs';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

const collect = (value: string, previous: string[]) => [...previous, value];

const pythonOption = () => new Option('--python <path>', 'Python interpreter to run the workers with (unless python-home says otherwise)')
  .env('TSWSGI_PYTHON').default('python3');

interface ConfigFileOptions {
  file: string;
  define: string[];
  python: string;
}

/** Reads the config file; prints every error with its file:line and exits 1 if there are any. */
function readConfigFile(program: Command, options: ConfigFileOptions): ServerConfig {
  let result;
  try {
    result = loadConfig(options.file, { defines: options.define, python: options.python });
  } catch (err) {
    return program.error(`tswsgi: ${(err as Error).message}`);
  }
  for (const warning of result.warnings) process.stderr.write(`tswsgi: warning: ${warning}\n`);
  if (result.errors.length > 0) {
    for (const error of result.errors) process.stderr.write(`tswsgi: ${error.message}\n`);
    return program.error(`tswsgi: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in ${path.resolve(options.file)}`, { exitCode: 1 });
  }
  return result.config;
}

async function run(program: Command, config: ServerConfig, describe: (addresses: AddressInfo[]) => string): Promise<void> {
  let server: Server;
  try {
    server = new Server(config);
  } catch (err) {
    return program.error(`tswsgi: ${(err as Error).message}`);
  }
  server.handleSignals();
  const addresses = await server.start();
  if (addresses) process.stdout.write(`tswsgi: serving ${describe(addresses)} (pid ${process.pid})\n`);
}

const url = (host: string, port: number, mount = '/') => `http://${host.includes(':') ? `[${host}]` : host}:${port}${mount}`;

export function buildProgram(): Command {
  const program = new Command('tswsgi')
    .description('Host Python WSGI applications, reading Apache mod_wsgi\'s directives.')
    .version('0.1.0');

  program.command('start-server')
    .description('Serve one WSGI script file with no config file (like mod_wsgi-express start-server).')
    .argument('<script>', 'the WSGI script file')
    .option('--host <host>', 'address to listen on', 'localhost')
    .option('--port <port>', 'port to listen on', wholeNumber, 8000)
    .option('--processes <n>', 'worker processes', wholeNumber, 1)
    .option('--threads <n>', 'request threads in each process', wholeNumber, 5)
    .option('--mount-point <path>', 'URL path the application is mounted at', '/')
    .option('--callable-object <name>', 'name of the WSGI callable in the script', 'application')
    .option('--application-group <name>', 'application group (interpreter) the script and import scripts run in', '%{GLOBAL}')
    .addOption(pythonOption())
    .option('--python-path <dir>', 'directory to put on sys.path (repeatable)', collect, [])
    .option('--working-directory <dir>', 'directory the workers run in (default: the current one)')
    .option('--import-script <path>', 'script to load in every process before it takes requests (repeatable)', collect, [])
    .option('--limit-request-body <bytes>', 'largest request body accepted', wholeNumber, DIR_DEFAULTS.limitRequestBody)
    .option('--log-level <level>', 'error log level: emerg, alert, crit, error, warn, notice, info, debug', 'info')
    .option('--access-log', 'write an access log line (Apache combined format) to stdout for each request', false)
    .option('--shutdown-timeout <seconds>', 'how long SIGTERM waits for in-flight requests', wholeNumber, 30)
    .action(async (script: string, options: StartServerOptions) => {
      let config: ServerConfig;
      try {
        config = startServerConfig(script, options);
        for (const group of config.processGroups) checkPython(group.python);
      } catch (err) {
        return program.error(`tswsgi: ${(err as Error).message}`);
      }
      const mount = config.main.aliases[0]!.pattern;
      await run(program, config, ([address]) => `${config.main.aliases[0]!.target} at ${url(options.host, address!.port, mount === '/' ? '/' : mount + '/')}` +
        `, ${options.processes} process${options.processes === 1 ? '' : 'es'} x ${options.threads} threads`);
    });

  program.command('serve')
    .description('Serve what an Apache configuration file with mod_wsgi directives describes.')
    .requiredOption('-f, --file <httpd.conf>', 'the configuration file')
    .option('-D, --define <name>', 'define a parameter for <IfDefine> (repeatable)', collect, [])
    .addOption(pythonOption())
    .action(async (options: ConfigFileOptions) => {
      const config = readConfigFile(program, options);
      try {
        for (const python of new Set(config.processGroups.map((g) => g.python))) checkPython(python);
      } catch (err) {
        return program.error(`tswsgi: ${(err as Error).message}`);
      }
      await run(program, config, (addresses) => `${path.resolve(options.file)} at ${addresses.map((a, i) => url(config.listen[i]!.host, a.port)).join(' and ')}` +
        `, ${config.processGroups.map((g) => `${groupLabel(g.name)} ${g.processes} x ${g.threads}`).join(', ')}`);
    });

  program.command('configtest')
    .description('Check a configuration file; print every error with its file and line.')
    .requiredOption('-f, --file <httpd.conf>', 'the configuration file')
    .option('-D, --define <name>', 'define a parameter for <IfDefine> (repeatable)', collect, [])
    .addOption(pythonOption())
    .action((options: ConfigFileOptions) => {
      readConfigFile(program, options);
      process.stderr.write('Syntax OK\n');
    });

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
