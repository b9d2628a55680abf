// The error a directive's handler throws: the loader reports it at the directive's file:line.

export class DirectiveError extends Error {}
