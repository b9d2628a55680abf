// host.fetch(): a WHATWG Request served by the host's handler like any node:http
// request, so there is one request path. The bridge is a node:http server on a UNIX
// socket in the host's runtime directory, which only the host's user may connect to;
// it costs one local socket hop.

import * as fs from 'node:fs';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';

/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 204, 205, 304]);
/** Headers of the bridge's own connection, not of the application's answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export class FetchBridge {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });
  private listening: Promise<void> | null = null;

  constructor(handler: Handler, private readonly socketPath: string) {
    this.server = http.createServer(handler);
  }

  private open(): Promise<void> {
    this.listening ??= new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        fs.chmodSync(this.socketPath, 0o600);
        resolve();
      });
    });
    return this.listening;
  }

  async fetch(request: Request): Promise<Response> {
    await this.open();
    const url = new URL(request.url);
    const headers: http.OutgoingHttpHeaders = { host: url.host };
    request.headers.forEach((value, name) => { if (name !== 'host') headers[name] = value; });
    return new Promise((resolve, reject) => {
      const outgoing = http.request({ socketPath: this.socketPath, agent: this.agent, method: request.method, path: url.pathname + url.search, headers }, (res) => {
        const status = res.statusCode!;
        const answer = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(res.rawHeaders[i]!.toLowerCase())) answer.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        }
        const nullBody = NULL_BODY.has(status) || request.method === 'HEAD';
        if (nullBody) res.resume();
        const body = nullBody ? null : Readable.toWeb(res) as globalThis.ReadableStream<Uint8Array>;
        resolve(new Response(body, { status, statusText: res.statusMessage, headers: answer }));
      });
      outgoing.on('error', reject);
      // A caller that gives up closes the connection, which the host sees as a client gone away.
      request.signal.addEventListener('abort', () => outgoing.destroy(request.signal.reason as Error), { once: true });
      if (request.body) Readable.fromWeb(request.body as ReadableStream<Uint8Array>).on('error', (err) => outgoing.destroy(err)).pipe(outgoing);
      else outgoing.end();
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    if (!this.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
