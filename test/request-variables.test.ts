// What a request's variables do in the front end besides reaching the environ: nokeepalive,
// which Debian's setenvif.conf sets for old browsers, closes the connection after the answer.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rawRequest, startServe, tempDir, writeConf, type RunningServer } from './helpers/tswsgi';

describe('nokeepalive', () => {
  let server: RunningServer;
  before(async () => {
    const files = tempDir();
    fs.writeFileSync(path.join(files, 'a.txt'), 'a\n');
    server = await startServe(writeConf([
      'Listen 127.0.0.1:0',
      'BrowserMatch "Mozilla/2" nokeepalive',
      `Alias /files ${files}`,
    ].join('\n') + '\n'));
  });
  after(() => server.stop());

  const twoRequests = (agent: string) => rawRequest(server.port, [
    `GET /files/a.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: ${agent}\r\n\r\n`,
    'GET /files/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ]);

  test('a request it is set for is the last on its connection', async () => {
    const answer = await twoRequests('Mozilla/2.02 (old)');
    assert.equal(answer.text.match(/^HTTP\/1\.1 200/gm)?.length, 1, answer.text);
    assert.match(answer.text, /^Connection: close\r$/im);
    assert.ok(answer.closed);
  });

  test('other requests keep the connection open', async () => {
    const answer = await twoRequests('Mozilla/5.0');
    assert.equal(answer.text.match(/^HTTP\/1\.1 200/gm)?.length, 2, answer.text);
  });
});
