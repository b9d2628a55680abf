// What the front end refuses before a request can reach Python, with the status
// Apache (or RFC 9110/9112 where Apache is vaguer) gives.

import type { IncomingMessage } from 'node:http';
import type { ServerConfig } from '../config/model';

export interface Refusal {
  status: number;
  message: string;
}

type Limits = Pick<ServerConfig, 'limitRequestLine' | 'limitRequestFieldSize' | 'limitRequestFields'>;

/** Host as RFC 3986 allows: reg-name or IP literal, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]*)?$/;

export const validHost = (host: string): boolean => VALID_HOST.test(host);

export function checkRequest(req: IncomingMessage, limits: Limits): Refusal | null {
  // As Apache with HttpProtocolOptions Require1.0: a request line without a version is not answered in kind.
  if (req.httpVersionMajor === 0) return { status: 400, message: 'HTTP/0.9 request' };
  // Apache reads each line of the head into limit + 2 bytes, its LF included: a line of limit + 1 still fits.
  const requestLine = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 10;
  if (requestLine > limits.limitRequestLine + 1) {
    return { status: 414, message: `request line longer than LimitRequestLine (${limits.limitRequestLine})` };
  }
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.limitRequestFields) {
    return { status: 431, message: `more than LimitRequestFields (${limits.limitRequestFields}) header fields` };
  }
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length + raw[i + 1]!.length + 2 > limits.limitRequestFieldSize + 1) {
      return { status: 431, message: `header field '${name}' longer than LimitRequestFieldSize (${limits.limitRequestFieldSize})` };
    }
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return { status: 400, message: 'more than one Host header' };
  if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    return { status: 400, message: 'client sent HTTP/1.1 request without hostname (see RFC2616 section 14.23)' };
  }
  const host = req.headers.host;
  if (host !== undefined && !validHost(host)) return { status: 400, message: `malformed Host header '${host}'` };

  // As Apache: 100-continue is the only expectation there is.
  const expect = req.headers.expect;
  if (expect !== undefined && expect !== '' && expect.toLowerCase() !== '100-continue') {
    return { status: 417, message: `client sent an unrecognized expectation value of Expect: ${expect}` };
  }
  const encoding = req.headers['transfer-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'chunked') {
    return { status: 400, message: `unsupported Transfer-Encoding '${encoding}'` };
  }
  return null;
}

/** A declared body over the scope's LimitRequestBody is refused before anything reads it. */
export function checkBodyLength(req: IncomingMessage, limit: number): Refusal | null {
  const length = req.headers['content-length'];
  if (length !== undefined && limit > 0 && Number(length) > limit) {
    return { status: 413, message: `Content-Length ${length} exceeds LimitRequestBody (${limit})` };
  }
  return null;
}

/** node:http's parse error: the packet it was reading, and how far into it it got. */
export type ParseError = NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number };

/** The status for a request llhttp could not parse. */
export function parseErrorStatus(err: ParseError): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': {
      // The request line is to blame when no line ended before the parser gave up: in the packet it
      // was reading, up to where it stopped (a long line spans packets, so it need not start there).
      const packet = err.rawPacket;
      const parsed = Math.min(packet?.length ?? 0, err.bytesParsed ?? Infinity);
      return packet && !packet.subarray(0, parsed).includes(0x0a) ? 414 : 431;
    }
    case 'HPE_INVALID_METHOD':
      return 501;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}
