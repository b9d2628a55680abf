// Answering a request the host or the front end will not run, in Apache's words
// and with its choice of when the connection closes.

import type * as http from 'node:http';
import type { Logger } from '../log/error-log';
import { ERROR_PAGE_TYPE, errorPage, reasonPhrase } from './error-page';

/** Statuses after which Apache closes the connection (its ap_status_drops_connection). */
const DROPS_CONNECTION = new Set([400, 408, 411, 413, 414, 431, 500, 501, 503]);

export function refuseRequest(log: Logger, req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string,
  level: 'info' | 'error' = 'info'): void {
  logRefusal(log, req, status, message, level);
  sendErrorPage(req, res, status, errorPage(status, { method: req.method }));
}

export function logRefusal(log: Logger, req: http.IncomingMessage, status: number, message: string, level: 'info' | 'error'): void {
  log.log(level, `Refused ${req.method} ${req.url} from ${req.socket.remoteAddress} with ${status}: ${message}`);
}

/** Sends `page` as an error response (`headers` besides its type and length), closing the connection where Apache would. */
export function sendErrorPage(req: http.IncomingMessage, res: http.ServerResponse, status: number, page: Buffer,
  headers: http.OutgoingHttpHeaders = {}): void {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const head: http.OutgoingHttpHeaders = { ...headers, 'Content-Type': ERROR_PAGE_TYPE, 'Content-Length': page.length };
  // Reading an unwanted body just to keep the connection open is not worth it; and after a
  // malformed request the connection's state is doubtful, so Apache closes it too.
  if (hasBody || DROPS_CONNECTION.has(status)) head.Connection = 'close';
  res.writeHead(status, reasonPhrase(status), head);
  res.end(page);
}
