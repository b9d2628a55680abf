// Error responses the front end makes itself, in the shape of Apache's default
// error documents so that clients and tests see what they saw under mod_wsgi.

import { STATUS_CODES } from 'node:http';

const EXPLANATIONS: Record<number, string> = {
  // Apache leaves room for its error notes after the break, and gives none.
  400: 'Your browser sent a request that this server could not understand.<br />\n',
  403: "You don't have permission to access this resource.",
  404: 'The requested URL was not found on this server.',
  408: 'Server timeout waiting for the HTTP request from the client.',
  411: 'A request of the requested method requires a valid Content-length.',
  414: "The requested URL's length exceeds the capacity\nlimit for this server.<br />\n",
  417: 'The expectation given in the Expect request-header field could not be met by this server.',
  431: 'The request header fields are too large for this server.',
  500: 'The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.',
  501: 'The server does not support the action requested by the browser.',
  502: 'The proxy server received an invalid response from an upstream server.',
  503: 'The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.',
  504: 'The gateway did not receive a timely response from the upstream server or application.',
};

/** Apache's texts that name the method; the 413's stands outside any <p>, as in Apache. */
const NAMING_THE_METHOD: Record<number, (method: string) => string> = {
  405: (method) => `<p>The requested method ${method} is not allowed for this URL.</p>\n`,
  413: (method) => `The requested resource does not allow request data with ${method} requests, or the amount of data provided in\n` +
    'the request exceeds the capacity limit.\n',
};

/** Where Apache 2.4's reason phrases (RFC 2616's) differ from node:http's. */
const APACHE_REASONS: Record<number, string> = {
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  416: 'Requested Range Not Satisfiable',
  418: 'I\'m a teapot',
};

export function reasonPhrase(status: number): string {
  return APACHE_REASONS[status] ?? STATUS_CODES[status] ?? 'Unknown';
}

/** What Apache adds to its 500 page (with ServerAdmin unset). */
const CONTACT = '<p>Please contact the server administrator at \n [no address given] to inform them of the time this error occurred,\n' +
  ' and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>\n';

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface ErrorPageDetails {
  /** For a redirect: where the document moved. */
  location?: string;
  /** The request's method, which some pages name (405, 413). */
  method?: string;
  /** When an ErrorDocument's own request failed: the status Apache then notes on the page. */
  recursive?: number;
}

/** Apache 2.4's error document. */
export function errorPage(status: number, { method = 'GET', location, recursive }: ErrorPageDetails = {}): Buffer {
  const reason = reasonPhrase(status);
  const naming = NAMING_THE_METHOD[status];
  const message = location !== undefined
    ? `<p>The document has moved <a href="${escapeHtml(location)}">here</a>.</p>\n`
    : naming ? naming(escapeHtml(method)) : `<p>${EXPLANATIONS[status] ?? reason}</p>\n`;
  return Buffer.from(
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\n<html><head>\n' +
    `<title>${status} ${reason}</title>\n</head><body>\n<h1>${reason}</h1>\n` + message + (status === 500 ? CONTACT : '') +
    (recursive === undefined ? '' : `<p>Additionally, a ${recursive} ${reasonPhrase(recursive)}\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n`) +
    '</body></html>\n',
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
