// Files under Alias and DocumentRoot, with Range, ETag and Last-Modified from
// `send`, and content types from TypesConfig and AddType as Apache assigns them.

import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import send from 'send';
import type { ServerConfig } from '../config/model';
import { withDefaultCharset } from '../host/content-type';
import type { Route } from './router';

export function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { kind: 'static' }>,
  config: ServerConfig,
  refuse: (status: number, message: string) => void,
  /** An ErrorDocument's file is sent with the status of the error it stands for. */
  status?: number,
): void {
  const ext = path.extname(route.file).slice(1).toLowerCase();
  const added = route.dir.addType?.slice().reverse().find(([e]) => e === ext)?.[1];
  const type = added ?? config.mimeTypes.get(ext);
  // send resolves a URL path under a root; the file's own name, escaped, is that path.
  const stream = send(req, '/' + encodeURIComponent(path.basename(route.file)), { root: path.dirname(route.file), dotfiles: 'allow', index: false });
  // Apache sends no Content-Type for extensions it does not know, but send's type() fills in
  // application/octet-stream right after 'headers' whenever none is set: it must not guess.
  (stream as unknown as { type(file: string): void }).type = () => {};
  stream
    .on('headers', (response: ServerResponse) => {
      if (status !== undefined) response.statusCode = status;
      if (type) response.setHeader('Content-Type', withDefaultCharset(type, route.dir.addDefaultCharset));
      else response.removeHeader('Content-Type');
    })
    .on('error', (err: { status?: number; message: string }) => refuse(err.status ?? 500, `${err.message}: ${route.file}`))
    .pipe(res);
}
