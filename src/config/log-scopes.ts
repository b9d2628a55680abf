// The logs each scope ends up with, settled once the whole config was read (a LogFormat may
// follow the lines that name it, as in Apache): mod_log_config's rules for CustomLog, TransferLog
// and GlobalLog, and core's for ErrorLogFormat.

import { DEFAULT_LOG_FORMATS, type BuildContext } from './directives';
import { parseLogFormat, type LogFormat } from './log-format';
import type { AccessLogConfig, VirtualHost } from './model';

/** A nickname as the scope sees it: its own LogFormat lines, then the main server's, then common and combined. */
function named(ctx: BuildContext, vhost: VirtualHost, nickname: string): LogFormat | undefined {
  return ctx.logFormats.get(vhost)?.get(nickname) ?? ctx.logFormats.get(ctx.config.main)?.get(nickname) ?? DEFAULT_LOG_FORMATS.get(nickname);
}

/**
 * TransferLog's format in a scope: its last LogFormat without a nickname, else the main server's
 * (either may name a nickname, looked up in the scope), else common.
 */
function transferFormat(ctx: BuildContext, vhost: VirtualHost): LogFormat {
  const text = ctx.defaultLogFormats.get(vhost) ?? ctx.defaultLogFormats.get(ctx.config.main);
  if (text === undefined) return DEFAULT_LOG_FORMATS.get('common')!;
  // Checked when its LogFormat line was read.
  return named(ctx, vhost, text) ?? parseLogFormat(text);
}

/**
 * Fills each scope's accessLogs. A vhost with logs of its own also writes to the main server's
 * GlobalLog lines; one without writes to all of the main server's (left empty here: the access
 * log falls back to them), unless it has a TransferLog format of its own for their TransferLog lines.
 */
export function settleAccessLogs(ctx: BuildContext): void {
  const { main } = ctx.config;
  const formatted = (vhost: VirtualHost, log: AccessLogConfig, nickname: string | null): AccessLogConfig => {
    const format = nickname === null ? transferFormat(ctx, vhost) : named(ctx, vhost, nickname);
    return format ? { ...log, format } : log;
  };
  for (const { vhost, log, nickname } of ctx.customLogs) vhost.accessLogs.push(formatted(vhost, log, nickname));
  const mainLogs = ctx.customLogs.filter((pending) => pending.vhost === main);
  for (const vhost of ctx.config.vhosts) {
    if (vhost.accessLogs.length > 0) {
      for (const { log, nickname } of mainLogs.filter((pending) => pending.global)) vhost.accessLogs.push(formatted(vhost, log, nickname));
    } else if (ctx.defaultLogFormats.has(vhost) && mainLogs.some((pending) => pending.nickname === null)) {
      vhost.accessLogs.push(...mainLogs.map(({ log, nickname }) => formatted(vhost, log, nickname)));
    }
  }
}

/** ErrorLogFormat: a vhost's lines of each kind replace the main server's of that kind. */
export function settleErrorLogFormats(ctx: BuildContext): void {
  const { main } = ctx.config;
  const base = ctx.errorLogFormats.get(main) ?? {};
  main.errorLogFormats = { main: base.main ?? null, connection: base.connection ?? [], request: base.request ?? [] };
  for (const vhost of ctx.config.vhosts) {
    const own = ctx.errorLogFormats.get(vhost);
    if (!own) continue;
    vhost.errorLogFormats = {
      main: own.main ?? main.errorLogFormats.main,
      connection: own.connection ?? main.errorLogFormats.connection,
      request: own.request ?? main.errorLogFormats.request,
    };
  }
}
