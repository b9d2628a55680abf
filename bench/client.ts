// The benchmarks' HTTP client: one GET on a new connection, timed and checked.

import { request } from 'node:http';

/** What examples/hello.wsgi answers. */
export const HELLO_BODY = 'Hello, world!\n';

export interface Timed {
  /** From the call to the end of the response (or the error). */
  ms: number;
  /** The response's status, 0 when there was none (the connection failed, was reset or timed out). */
  status: number;
  /** Why the request failed, if it did: anything but 200 (and `expect` as the body, when given). */
  error?: string;
}

/** One GET on a new connection; never rejects. */
export function timedGet(url: string, timeoutMs: number, expect?: string): Promise<Timed> {
  return new Promise((resolve) => {
    const start = performance.now();
    let status = 0;
    const done = (error?: string) => resolve({ ms: performance.now() - start, status, ...(error ? { error } : {}) });
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(status !== 200 ? `status ${status}` : expect !== undefined && body !== expect ? 'unexpected body' : undefined));
      res.on('error', (err) => done(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => done(err.message));
    req.end();
  });
}
