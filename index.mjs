// The package's ES module entry: the CommonJS build, re-exported by name.
import library from './dist/src/index.js';

export const { WsgiHost } = library;
