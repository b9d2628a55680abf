// The `tswsgi` command line.

import { Command, InvalidArgumentError, Option } from 'commander';
import { checkPython } from '../process/python-check';
import { APACHE_DEFAULTS, startServerConfig, type StartServerOptions } from '../config/start-server';
import type { ServerConfig } from '../config/model';
import { Server } from '../server';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

const collect = (value: string, previous: string[]) => [...previous, value];

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
    .addOption(new Option('--python <path>', 'Python interpreter to run the workers with')
      .env('TSWSGI_PYTHON').default('python3'))
    .option('--python-path <dir>', 'directory to put on sys.path (repeatable)', collect, [])
    .option('--working-directory <dir>', 'directory the workers run in (default: the current one)')
    .option('--import-script <path>', 'script to load in every process before it takes requests (repeatable)', collect, [])
    .option('--limit-request-body <bytes>', 'largest request body accepted', wholeNumber, APACHE_DEFAULTS.limitRequestBody)
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
      const server = new Server(config);
      server.handleSignals();
      const addresses = await server.start();
      if (!addresses) return;
      const address = addresses[0];
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      const mount = config.mounts[0]!.mountPoint;
      process.stdout.write(`tswsgi: serving ${config.mounts[0]!.script} at http://${host}:${address!.port}${mount === '/' ? '/' : mount + '/'}` +
        ` (pid ${process.pid}, ${options.processes} process${options.processes === 1 ? '' : 'es'} x ${options.threads} threads)\n`);
    });
  return program;
}

export function main(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((err: Error) => {
    process.stderr.write(`tswsgi: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
