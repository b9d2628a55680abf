// The package's public API: the WSGI host as a library, to mount a Python WSGI
// application inside a Node server (docs/library.md).

export { WsgiHost, type RestartOutcome, type WsgiHostOptions } from './host/wsgi-host';
