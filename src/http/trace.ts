// TRACE as Apache's core answers it (TraceEnable), before any routing or access check, so
// that it never reaches an application: the request head echoed back as message/http, a
// request body refused (or, with `extended`, echoed too), or 405 when TraceEnable is Off.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TraceSetting } from '../config/model';

/** Apache's bound on the body an extended TRACE echoes. */
const MAX_EXTENDED_BODY = 64 * 1024;

export type Refuse = (status: number, message: string) => void;

export function answerTrace(req: IncomingMessage, res: ServerResponse, setting: TraceSetting, refuse: Refuse): void {
  // Apache's 405 for it lists no methods: its Allow header is empty.
  if (setting === 'off') {
    res.setHeader('Allow', '');
    return refuse(405, 'TRACE denied by server configuration (TraceEnable Off)');
  }
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (hasBody && setting !== 'extended') return refuse(413, `TRACE with body is not allowed for ${req.url}`);
  if (length !== undefined && Number(length) > MAX_EXTENDED_BODY) return refuse(413, `TRACE with a body over ${MAX_EXTENDED_BODY} bytes`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  const take = (chunk: Buffer) => {
    bytes += chunk.length;
    chunks.push(chunk);
    if (bytes <= MAX_EXTENDED_BODY) return;
    req.off('data', take);
    req.pause();
    refuse(413, `TRACE with a body over ${MAX_EXTENDED_BODY} bytes`);
  };
  req.on('data', take);
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'message/http' });
    // Written before end so that node:http frames it as Apache does (chunked, or closing for HTTP/1.0), without Content-Length.
    res.write(Buffer.concat([Buffer.from(echoedHead(req), 'latin1'), ...chunks]));
    res.end();
  });
}

/** The request line and header fields as Apache keeps them: repeated fields merged into the first, values trimmed. */
function echoedHead(req: IncomingMessage): string {
  const fields = new Map<string, { name: string; values: string[] }>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    const field = fields.get(key);
    if (field) field.values.push(raw[i + 1]!);
    else fields.set(key, { name: raw[i]!, values: [raw[i + 1]!] });
  }
  const lines = [...fields.values()].map((f) => `${f.name}: ${f.values.join(', ')}\r\n`);
  return `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n${lines.join('')}\r\n`;
}
