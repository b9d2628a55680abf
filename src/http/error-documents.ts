// ErrorDocument: what the front end's own error responses send in place of Apache's canned
// page, and the variables an internal redirect to a local URL gives the request it starts.

import type { ErrorDocument } from '../config/model';
import type { ResolvedDir } from './router';

/** The scope's ErrorDocument for `status` (the last line for it wins); null for the canned page. */
export function errorDocumentFor(dir: ResolvedDir, status: number): Exclude<ErrorDocument, { kind: 'default' }> | null {
  const lines = dir.errorDocuments ?? [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const [code, document] = lines[i]!;
    if (code === status) return document.kind === 'default' ? null : document;
  }
  return null;
}

/**
 * What Apache's internal redirect adds to the redirected request's variables (ap_die and
 * internal_internal_redirect): the original URL, status, query string (if any) and method.
 */
export function redirectVariables(uri: string, query: string, status: number, method: string): Array<[string, string]> {
  return [
    ['REDIRECT_URL', uri],
    ['REDIRECT_STATUS', String(status)],
    ...(query ? [['REDIRECT_QUERY_STRING', query] as [string, string]] : []),
    ['REDIRECT_REQUEST_METHOD', method],
  ];
}

/** Conditional and range headers: an error document is sent whole, never as 304 or 206 (Apache's no_local_copy). */
export const CONDITIONAL_HEADERS = ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'range'] as const;
