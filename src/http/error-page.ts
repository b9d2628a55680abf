// Error responses the front end makes itself, in the shape of Apache's default
// error documents so that clients and tests see what they saw under mod_wsgi.

import { STATUS_CODES } from 'node:http';

const EXPLANATIONS: Record<number, string> = {
  400: 'Your browser sent a request that this server could not understand.',
  403: "You don't have permission to access this resource.",
  404: 'The requested URL was not found on this server.',
  411: 'A request of the requested method requires a valid Content-length.',
  413: 'The requested resource does not allow request data with this method, or the amount of data provided in the request exceeds the capacity limit.',
  414: "The requested URL's length exceeds the capacity limit for this server.",
  417: 'The expectation given in the Expect request-header field could not be met by this server.',
  431: 'The request header fields are too large for this server.',
  500: 'The server encountered an internal error or misconfiguration and was unable to complete your request.',
  501: 'The server does not support the action requested by the browser.',
  502: 'The proxy server received an invalid response from an upstream server.',
  503: 'The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.',
  504: 'The gateway did not receive a timely response from the upstream server or application.',
};

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

export function errorPage(status: number): Buffer {
  const reason = reasonPhrase(status);
  return Buffer.from(
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n' +
    `<title>${status} ${reason}</title>\n</head><body>\n<h1>${reason}</h1>\n` +
    `<p>${EXPLANATIONS[status] ?? reason}</p>\n</body></html>\n`,
    'latin1',
  );
}

export const ERROR_PAGE_TYPE = 'text/html; charset=iso-8859-1';

/** A complete response for a connection that has no ServerResponse (parse errors). */
export function rawErrorResponse(status: number): Buffer {
  const body = errorPage(status);
  return Buffer.concat([
    Buffer.from(
      `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: ${ERROR_PAGE_TYPE}\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      'latin1',
    ),
    body,
  ]);
}
