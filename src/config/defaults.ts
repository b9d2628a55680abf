// Apache's core defaults, which mod_wsgi users' clients already live with.

export const APACHE_DEFAULTS = {
  limitRequestLine: 8190,
  limitRequestFieldSize: 8190,
  limitRequestFields: 100,
  keepAliveTimeout: 5,
} as const;
