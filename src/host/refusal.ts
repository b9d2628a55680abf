// Answering a request the host or the front end will not run, in Apache's words
// and with its choice of when the connection closes.

import type * as http from 'node:http';
import type { ErrorLog } from '../log/error-log';
import { ERROR_PAGE_TYPE, errorPage, reasonPhrase } from './error-page';

/** Statuses after which Apache closes the connection (its ap_status_drops_connection). */
const DROPS_CONNECTION = new Set([400, 408, 411, 413, 414, 431, 500, 501, 503]);

export function refuseRequest(log: ErrorLog, req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string,
  level: 'info' | 'error' = 'info'): void {
  log.log(level, `Refused ${req.method} ${req.url} from ${req.socket.remoteAddress} with ${status}: ${message}`);
  const page = errorPage(status, { method: req.method });
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': ERROR_PAGE_TYPE, 'Content-Length': page.length };
  // Reading an unwanted body just to keep the connection open is not worth it; and after a
  // malformed request the connection's state is doubtful, so Apache closes it too.
  if (hasBody || DROPS_CONNECTION.has(status)) headers.Connection = 'close';
  res.writeHead(status, reasonPhrase(status), headers);
  res.end(page);
}
