// The Apache configuration parser: lines, arguments, sections, and what Apache executes while
// reading (Include, Define, IfDefine, IfModule, LoadModule, ServerRoot). Expected messages and
// behaviours were checked against Debian's apache2 2.4 (`apache2 -t`).

import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logicalLines, parseFile, splitArgs, type Directive, type ParseState } from '../src/config/apache-parser';
import { newModuleRegistry } from '../src/config/modules';

/** Writes `files` (relative path -> contents) into a fresh temp dir and returns the dir. */
function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-parser-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function newState(serverRoot: string, extra: Partial<ParseState> = {}): ParseState {
  return { serverRoot, defines: new Map(), env: {}, modules: newModuleRegistry(), errors: [], warnings: [], ...extra };
}

/** Parses main.conf of a fresh tree, with ServerRoot at the tree. */
function parse(files: Record<string, string>, extra: Partial<ParseState> = {}) {
  const dir = writeTree(files);
  const state = newState(dir, extra);
  const tree = parseFile(path.join(dir, 'main.conf'), state);
  const errors = state.errors.map((e) => e.message.replaceAll(dir, 'D'));
  return { dir, state, tree, errors };
}

/** "Name arg arg", with a section's contents nested after it. */
type Outline = Array<string | [string, Outline]>;
function outline(nodes: Directive[]): Outline {
  return nodes.map((d) => {
    const head = [d.name, ...d.args].join(' ');
    return d.children ? [head, outline(d.children)] : head;
  });
}

/** Where each directive came from, relative to the tree: "a.conf:3 Name". */
function origins(nodes: Directive[], dir: string): string[] {
  return nodes.flatMap((d) => [`${path.relative(dir, d.file)}:${d.line} ${d.name}`, ...origins(d.children ?? [], dir)]);
}

// Files Include reads leave a trace, so their order can be checked.
const mark = (name: string) => `ServerAlias ${name}\n`;
const marks = (nodes: Directive[]) => nodes.filter((d) => d.key === 'serveralias').map((d) => d.args[0]);

describe('logicalLines', () => {
  test('a backslash at the very end joins the next line; the directive counts as its last line', () => {
    const lines = logicalLines('WSGIDaemonProcess app \\\n    processes=2 \\\n    threads=3\nServerName x\n');
    assert.deepEqual(lines, [
      { text: 'WSGIDaemonProcess app     processes=2     threads=3', line: 3 },
      { text: 'ServerName x', line: 4 },
    ]);
  });

  test('the next line is joined as it is: no space is added', () => {
    assert.deepEqual(logicalLines('Define L a\\\nb\n').map((l) => l.text), ['Define L ab']);
  });

  test('a backslash followed by a space is not a continuation', () => {
    assert.deepEqual(logicalLines('Define L a\\ \nServerName b\n').map((l) => l.text), ['Define L a\\', 'ServerName b']);
  });

  test('comments (after leading blanks) and blank lines are dropped; # inside a line is not a comment', () => {
    const lines = logicalLines('# top\n\n   # indented\n\t\nServerName a # not a comment\n');
    assert.deepEqual(lines, [{ text: 'ServerName a # not a comment', line: 5 }]);
  });

  test('a comment ending in a backslash swallows the next line', () => {
    assert.deepEqual(logicalLines('# comment \\\nInclude hidden.conf\nServerName x\n'), [{ text: 'ServerName x', line: 3 }]);
  });

  test('CRLF files: no stray CR, continuation still works, lines counted the same', () => {
    const lines = logicalLines('ServerName a\r\nDefine L a\\\r\nb\r\n\r\nServerAlias c\r\n');
    assert.deepEqual(lines, [
      { text: 'ServerName a', line: 1 },
      { text: 'Define L ab', line: 3 },
      { text: 'ServerAlias c', line: 5 },
    ]);
  });
});

describe('splitArgs', () => {
  test('whitespace separates words; quotes group them', () => {
    assert.deepEqual(splitArgs(`WSGIDaemonProcess  app\tdisplay-name="my app" home='/srv/a b'`),
      ['WSGIDaemonProcess', 'app', 'display-name="my', 'app"', 'home=\'/srv/a', "b'"]);
    assert.deepEqual(splitArgs(`Alias "/a b" '/srv/c d'`), ['Alias', '/a b', '/srv/c d']);
  });

  test('an escaped quote inside quotes is the quote itself', () => {
    assert.deepEqual(splitArgs(`Header "say \\"hi\\"" 'it\\'s'`), ['Header', 'say "hi"', "it's"]);
  });

  test('a double backslash is one backslash, quoted or not; a lone one stays', () => {
    assert.deepEqual(splitArgs(`X "a\\\\" b\\\\c d\\e "f\\g"`), ['X', 'a\\', 'b\\c', 'd\\e', 'f\\g']);
  });

  test('an empty quoted argument is an argument', () => {
    assert.deepEqual(splitArgs(`SetEnv A "" ''`), ['SetEnv', 'A', '', '']);
  });

  test('a word ends at its closing quote; quotes inside a bare word are kept', () => {
    assert.deepEqual(splitArgs(`X "a"b c"d e"`), ['X', 'a', 'b', 'c"d', 'e"']);
  });
});

describe('sections', () => {
  test('VirtualHost, Directory and Location nest, with their args, files and lines', () => {
    const { tree, errors, dir } = parse({
      'main.conf': [
        'ServerName main',
        '<VirtualHost *:80 *:8080>',
        '  ServerName site',
        '  <Directory "/srv/my site">',
        '    Require all granted',
        '  </directory>',
        '  <Location /app>',
        '    SetHandler wsgi-script',
        '  </Location>',
        '</VirtualHost>',
        'ServerAlias after',
      ].join('\n'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(outline(tree), [
      'ServerName main',
      ['VirtualHost *:80 *:8080', [
        'ServerName site',
        ['Directory /srv/my site', ['Require all granted']],
        ['Location /app', ['SetHandler wsgi-script']],
      ]],
      'ServerAlias after',
    ]);
    assert.deepEqual(origins(tree, dir), [
      'main.conf:1 ServerName', 'main.conf:2 VirtualHost', 'main.conf:3 ServerName', 'main.conf:4 Directory',
      'main.conf:5 Require', 'main.conf:7 Location', 'main.conf:8 SetHandler', 'main.conf:11 ServerAlias',
    ]);
    assert.equal(tree[1]!.key, 'virtualhost');
  });

  test('text after the closing > of a section line is ignored, as Apache ignores it', () => {
    const { tree, errors } = parse({ 'main.conf': '<VirtualHost *:80> # the main site\nServerName a\n</VirtualHost> done\n' });
    assert.deepEqual(errors, []);
    assert.deepEqual(outline(tree), [['VirtualHost *:80', ['ServerName a']]]);
  });

  test('an unclosed section is reported at its opening line', () => {
    const { errors, tree } = parse({ 'main.conf': 'ServerName a\n<Location /x>\n<Directory /tmp>\nRequire all granted\n' });
    assert.deepEqual(errors, [
      'Syntax error on line 2 of D/main.conf: <Location> was not closed.',
      'Syntax error on line 3 of D/main.conf: <Directory> was not closed.',
    ]);
    assert.deepEqual(outline(tree), ['ServerName a', ['Location /x', [['Directory /tmp', ['Require all granted']]]]]);
  });

  test('a mismatched close is reported at its line, and parsing goes on', () => {
    const { errors, tree } = parse({ 'main.conf': '<Directory /tmp>\n</Location>\nServerName after\n' });
    assert.deepEqual(errors, ['Syntax error on line 2 of D/main.conf: Expected </Directory> but saw </Location>']);
    assert.deepEqual(outline(tree), [['Directory /tmp', []], 'ServerName after']);
  });

  test('a close without an open', () => {
    const { errors } = parse({ 'main.conf': 'ServerName a\n</Directory>\n' });
    assert.deepEqual(errors, ['Syntax error on line 2 of D/main.conf: </Directory> without matching <Directory> section']);
  });

  test('a section line without its closing >', () => {
    const { errors, tree } = parse({ 'main.conf': '<Directory /tmp\nServerName a\n' });
    assert.deepEqual(errors, ["Syntax error on line 1 of D/main.conf: <Directory> directive missing closing '>'"]);
    assert.deepEqual(outline(tree), ['ServerName a']);
  });

  test('a close must be the one word </Name>', () => {
    for (const close of ['</Directory', '</Directory >', '</Directory foo>']) {
      const { errors } = parse({ 'main.conf': `<Directory /tmp>\n${close}\n` });
      assert.deepEqual(errors, ["Syntax error on line 2 of D/main.conf: </Directory> directive missing closing '>'"], close);
    }
  });

  test('sections do not cross files: an included file cannot close its includer\'s section', () => {
    const { errors, tree } = parse({
      'main.conf': '<Directory /tmp>\nInclude close.conf\n</Directory>\n',
      'close.conf': '</Directory>\n',
    });
    assert.deepEqual(errors, ['Syntax error on line 1 of D/close.conf: </Directory> without matching <Directory> section']);
    assert.deepEqual(outline(tree), [['Directory /tmp', []]]);
  });
});

describe('Include', () => {
  test('a relative path is taken from ServerRoot; what it reads lands in the enclosing section, with its own file and line', () => {
    const { tree, errors, dir } = parse({
      'main.conf': '<VirtualHost *:80>\nInclude conf/site.conf\n</VirtualHost>\n',
      'conf/site.conf': '\nServerName site\nWSGIScriptAlias / /srv/app.wsgi\n',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(outline(tree), [['VirtualHost *:80', ['ServerName site', 'WSGIScriptAlias / /srv/app.wsgi']]]);
    assert.deepEqual(origins(tree, dir), ['main.conf:1 VirtualHost', 'conf/site.conf:2 ServerName', 'conf/site.conf:3 WSGIScriptAlias']);
  });

  test('ServerRoot changes where later relative includes point; a relative ServerRoot is taken from the one before', () => {
    const { tree, errors, state, dir } = parse({
      'main.conf': 'ServerRoot etc\nInclude site.conf\nServerRoot apache2\nInclude site.conf\n',
      'etc/site.conf': mark('etc'),
      'etc/apache2/site.conf': mark('etc/apache2'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['etc', 'etc/apache2']);
    assert.equal(state.serverRoot, path.join(dir, 'etc/apache2'));
    assert.deepEqual(outline(tree).filter((d) => typeof d === 'string' && d.startsWith('ServerRoot')), ['ServerRoot etc', 'ServerRoot apache2']);
  });

  test('a ServerRoot that is not a directory is an error and changes nothing', () => {
    const { errors, state, dir } = parse({ 'main.conf': 'ServerRoot nowhere\n' });
    assert.deepEqual(errors, ['Syntax error on line 1 of D/main.conf: ServerRoot must be a valid directory']);
    assert.equal(state.serverRoot, dir);
  });

  test('a directory includes every file under it, dotfiles too, sorted, subdirectories in their place', () => {
    const { tree, errors } = parse({
      'main.conf': 'Include conf.d\n',
      'conf.d/b.conf': mark('b'),
      'conf.d/a.conf': mark('a'),
      'conf.d/Z.conf': mark('Z'),
      'conf.d/.hidden': mark('.hidden'),
      'conf.d/sub/x.conf': mark('sub/x'),
      'conf.d/B/x.conf': mark('B/x'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['.hidden', 'B/x', 'Z', 'a', 'b', 'sub/x']);
  });

  test('a wildcard includes the matches, sorted, not dotfiles; a matched directory is read whole', () => {
    const { tree, errors } = parse({
      'main.conf': 'Include conf.d/*.conf\n',
      'conf.d/20-b.conf': mark('20-b'),
      'conf.d/10-a.conf': mark('10-a'),
      'conf.d/.hidden.conf': mark('.hidden'),
      'conf.d/readme.txt': mark('readme'),
      'conf.d/dir.conf/inner': mark('dir.conf/inner'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['10-a', '20-b', 'dir.conf/inner']);
  });

  test('wildcards: ? and [!...] classes, a pattern for dotfiles, and wildcards in a directory part', () => {
    const { tree, errors } = parse({
      'main.conf': 'Include d/a?.conf\nInclude d/[!a]*.conf\nInclude d/.*.conf\nInclude sites/*/wsgi.conf\n',
      'd/a1.conf': mark('a1'),
      'd/a22.conf': mark('a22'),
      'd/b3.conf': mark('b3'),
      'd/.x.conf': mark('.x'),
      'sites/two/wsgi.conf': mark('two'),
      'sites/one/wsgi.conf': mark('one'),
      'sites/file': '',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['a1', 'b3', '.x', 'one', 'two']);
  });

  test('IncludeOptional with nothing to read is silent', () => {
    const { tree, errors, state } = parse({
      'main.conf': [
        'IncludeOptional conf.d/*.conf',
        'IncludeOptional nodir/*.conf',
        'IncludeOptional missing.conf',
        'IncludeOptional sites/*/wsgi.conf',
        'IncludeOptional sites/*/conf/*.conf',
        'ServerName x',
      ].join('\n'),
      'conf.d/readme.txt': '',
      'sites/one/wsgi.conf': mark('one'),
      'sites/two/other.conf': '',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(state.warnings, []);
    assert.deepEqual(outline(tree), ['ServerAlias one', 'ServerName x']);
  });

  test('Include fails with Apache\'s messages, at the Include\'s line, and parsing goes on', () => {
    const { errors, tree } = parse({
      'main.conf': [
        'Include missing.conf',
        'Include conf.d/*.conf',
        'Include nodir/*.conf',
        'Include sites/*/wsgi.conf',
        'Include file/*.conf',
        'ServerName after',
      ].join('\n'),
      'conf.d/readme.txt': '',
      'sites/one/wsgi.conf': mark('one'),
      'sites/two/other.conf': '',
      file: '',
    });
    assert.deepEqual(errors, [
      'Syntax error on line 1 of D/main.conf: Could not open configuration file D/missing.conf: No such file or directory',
      "Syntax error on line 2 of D/main.conf: Include/IncludeOptional: No matches for the wildcard '*.conf' in 'D/conf.d', failing",
      'Syntax error on line 3 of D/main.conf: Include/IncludeOptional: Could not open directory D/nodir: No such file or directory',
      'Syntax error on line 4 of D/main.conf: Could not open configuration file D/sites/two/wsgi.conf: No such file or directory',
      'Syntax error on line 5 of D/main.conf: Include/IncludeOptional: Could not open directory D/file: Not a directory',
    ]);
    assert.deepEqual(outline(tree), ['ServerName after']);
  });

  test('errors inside an included file name that file and line; nested Includes too', () => {
    const { errors } = parse({
      'main.conf': 'ServerName a\nInclude a.conf\n',
      'a.conf': 'ServerName b\n\nDefine\nInclude b.conf\n',
      'b.conf': '\n\n</Location>\n',
    });
    assert.deepEqual(errors, [
      'Syntax error on line 3 of D/a.conf: Define takes one or two arguments, a variable name and an optional value',
      'Syntax error on line 3 of D/b.conf: </Location> without matching <Location> section',
    ]);
  });

  test('a file that includes itself stops at the depth limit with one error', () => {
    const { errors } = parse({ 'main.conf': 'Include main.conf\n' });
    assert.deepEqual(errors, ['Syntax error on line 1 of D/main.conf: Exceeded maximum include depth of 128, There appears to be a recursion.']);
  });

  test('a file that includes itself twice (or includes its own folder) gives one error, at once: not one per way back up', () => {
    const started = Date.now();
    assert.deepEqual(parse({ 'main.conf': 'Include main.conf\nInclude main.conf\n' }).errors,
      ['Syntax error on line 1 of D/main.conf: Exceeded maximum include depth of 128, There appears to be a recursion.']);
    assert.deepEqual(parse({ 'main.conf': 'Include conf\n', 'conf/a.conf': 'Include conf\n', 'conf/b.conf': 'Include conf\n' }).errors,
      ['Syntax error on line 1 of D/conf/a.conf: Exceeded maximum include depth of 128, There appears to be a recursion.']);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  test('a file included again while it is being read, with the same defines, is a recursion at once (a cycle of files too)', () => {
    assert.deepEqual(parse({ 'main.conf': 'Include a.conf\n', 'a.conf': 'ServerAlias a\nInclude b.conf\n', 'b.conf': 'Include a.conf\n' }).errors,
      ['Syntax error on line 1 of D/b.conf: Exceeded maximum include depth of 128, There appears to be a recursion.']);
  });

  test('a file may include itself when a Define changes what it reads the second time', () => {
    const { errors, tree } = parse({ 'main.conf': '<IfDefine !ONCE>\nDefine ONCE\nInclude main.conf\n</IfDefine>\nServerAlias x\n' });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['x', 'x']);
  });

  test('an included directory is read at most 128 directories deep, as in Apache', () => {
    const deep = (n: number) => `conf${'/d'.repeat(n)}`;
    assert.deepEqual(parse({ 'main.conf': 'Include conf\n', [`${deep(127)}/x.conf`]: 'ServerName x\n' }).errors, []);
    const { errors } = parse({ 'main.conf': 'Include conf\n', [`${deep(128)}/x.conf`]: 'ServerName x\n' });
    assert.deepEqual(errors, [`Syntax error on line 1 of D/main.conf: Include/IncludeOptional: Directory 'D/${deep(128)}' exceeds the maximum ` +
      'include directory nesting level of 128. You have probably a recursion somewhere.']);
  });

  test('a wrong number of arguments', () => {
    const { errors } = parse({ 'main.conf': 'Include a.conf b.conf\nIncludeOptional\n' });
    assert.deepEqual(errors, [
      'Syntax error on line 1 of D/main.conf: Include takes one argument, a file name or wildcard pattern',
      'Syntax error on line 2 of D/main.conf: IncludeOptional takes one argument, a file name or wildcard pattern',
    ]);
  });
});

describe('Define, UnDefine and ${}', () => {
  test('a Define\'d value is used on later lines and in included files; Define and UnDefine leave the tree', () => {
    const { tree, errors, state } = parse({
      'main.conf': 'ServerName ${HOST}\nDefine HOST example.org\nDefine CONF site\nServerName ${HOST}:${PORT}\nInclude ${CONF}.conf\n',
      'site.conf': 'ServerAlias www.${HOST}\nUnDefine HOST\n',
    }, { env: { PORT: '8080' } });
    assert.deepEqual(errors, []);
    assert.deepEqual(outline(tree), ['ServerName ${HOST}', 'ServerName example.org:8080', 'ServerAlias www.example.org']);
    assert.equal(state.defines.has('HOST'), false);
    assert.equal(state.defines.get('CONF'), 'site');
  });

  test('an undefined name stays as written, with a warning naming file and line', () => {
    const { tree, state, dir } = parse({ 'main.conf': 'ServerName a\nDocumentRoot /srv/${NOPE}/x\n' });
    assert.deepEqual(outline(tree), ['ServerName a', 'DocumentRoot /srv/${NOPE}/x']);
    assert.deepEqual(state.warnings, [`${path.join(dir, 'main.conf')}:2: Config variable \${NOPE} is not defined`]);
  });

  test('Define beats the environment; UnDefine uncovers it again', () => {
    const { tree } = parse({ 'main.conf': 'Define V defined\nServerName ${V}\nUnDefine V\nServerName ${V}\n' }, { env: { V: 'env' } });
    assert.deepEqual(outline(tree), ['ServerName defined', 'ServerName env']);
  });

  test('Define without a value (or with "") makes the name defined for IfDefine but gives ${} no value', () => {
    const { tree, state } = parse({
      'main.conf': 'Define A\nDefine B ""\n<IfDefine A>\n<IfDefine B>\nServerName x${A}${B}${C}\n</IfDefine>\n</IfDefine>\n',
    }, { env: { B: 'envB' } });
    assert.deepEqual(outline(tree), ['ServerName x${A}envB${C}']);
    assert.deepEqual(state.warnings.map((w) => w.replace(/^.*: /, '')), ['Config variable ${A} is not defined', 'Config variable ${C} is not defined']);
  });

  test('a name with a colon, as RewriteMap\'s ${map:key}, is left alone without a warning', () => {
    const { tree, state } = parse({ 'main.conf': 'RewriteRule ^/(.*) ${lower:$1}\nRewriteRule ^/www ${hosts:www}\n' });
    assert.deepEqual(outline(tree), ['RewriteRule ^/(.*) ${lower:$1}', 'RewriteRule ^/www ${hosts:www}']);
    assert.deepEqual(state.warnings, []);
  });

  test('bad Define and UnDefine lines', () => {
    const { errors, state } = parse({ 'main.conf': 'Define a:b c\nDefine A b c\nUnDefine\nDefine OK 1\n' });
    assert.deepEqual(errors, [
      "Syntax error on line 1 of D/main.conf: Variable name must not contain ':'",
      'Syntax error on line 2 of D/main.conf: Define takes one or two arguments, a variable name and an optional value',
      'Syntax error on line 3 of D/main.conf: UnDefine takes one argument, a variable name',
    ]);
    assert.deepEqual([...state.defines], [['OK', '1']]);
  });
});

describe('IfDefine', () => {
  test('-D names (state.defines preset), negation, nesting; the sections vanish and their contents stay in place', () => {
    const { tree, errors } = parse({
      'main.conf': [
        '<VirtualHost *:80>',
        '<IfDefine PROD>',
        '  ServerName prod',
        '  <IfDefine !DEBUG>',
        '    ServerAlias quiet',
        '  </IfDefine>',
        '  <IfDefine DEBUG>',
        '    ServerAlias loud',
        '  </IfDefine>',
        '</IfDefine>',
        '<IfDefine !PROD>',
        '  ServerName dev',
        '</IfDefine>',
        '</VirtualHost>',
      ].join('\n'),
    }, { defines: new Map([['PROD', '']]) });
    assert.deepEqual(errors, []);
    assert.deepEqual(outline(tree), [['VirtualHost *:80', ['ServerName prod', 'ServerAlias quiet']]]);
  });

  test('a Define earlier in the file counts; "! NAME" with a space is a negation, extra words are ignored', () => {
    const { tree, errors } = parse({
      'main.conf': 'Define ON\n<IfDefine ON extra>\nServerName on\n</IfDefine>\n<IfDefine ! ON>\nServerName off\n</IfDefine>\n<IfDefine ! OFF>\nServerAlias not-off\n</IfDefine>\n',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(outline(tree), ['ServerName on', 'ServerAlias not-off']);
  });

  test('no name at all is an error', () => {
    const { errors } = parse({ 'main.conf': '<IfDefine>\n</IfDefine>\n<IfDefine !>\n</IfDefine>\n' });
    assert.deepEqual(errors, [
      'Syntax error on line 1 of D/main.conf: <IfDefine> directive requires additional arguments',
      'Syntax error on line 3 of D/main.conf: <IfDefine> directive requires additional arguments',
    ]);
  });
});

describe('IfModule and LoadModule', () => {
  const WSGI = 'LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so\n';
  const ALIAS = 'LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n';
  // A whole Apache config loads an MPM: from then on only the modules it loads count.
  const MPM = 'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n';

  test('a LoadModule\'d module counts, by name or by source file; one not loaded does not; ! negates', () => {
    const { tree, errors } = parse({
      'main.conf': MPM + ALIAS + WSGI + [
        '<IfModule wsgi_module>', 'ServerAlias wsgi', '</IfModule>',
        '<IfModule mod_wsgi.c>', 'ServerAlias mod_wsgi.c', '</IfModule>',
        '<IfModule mime_module>', 'ServerAlias mime', '</IfModule>',
        '<IfModule !mime_module>', 'ServerAlias no-mime', '</IfModule>',
        '<IfModule !wsgi_module>', 'ServerAlias no-wsgi', '</IfModule>',
      ].join('\n'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['wsgi', 'mod_wsgi.c', 'no-mime']);
  });

  test('only LoadModule lines seen so far count', () => {
    const { tree } = parse({
      'main.conf': MPM + ALIAS + '<IfModule wsgi_module>\nServerAlias before\n</IfModule>\n' + WSGI + '<IfModule wsgi_module>\nServerAlias after\n</IfModule>\n',
    });
    assert.deepEqual(marks(tree), ['after']);
  });

  test('built-in modules always count; a LoadModule of one is Apache\'s error, unless guarded', () => {
    const { tree, errors } = parse({
      'main.conf': WSGI + [
        '<IfModule so_module>', 'ServerAlias so', '</IfModule>',
        '<IfModule !so_module>', 'LoadModule so_module /usr/lib/apache2/modules/mod_so.so', '</IfModule>',
        'LoadModule so_module /usr/lib/apache2/modules/mod_so.so',
      ].join('\n'),
    });
    assert.deepEqual(marks(tree), ['so']);
    assert.deepEqual(errors, ["Syntax error on line 8 of D/main.conf: module so_module is built-in and can't be loaded"]);
  });

  test('a module built into Debian\'s apache2 that Red Hat\'s httpd loads (log_config, ...) loads without a word', () => {
    const { errors, state } = parse({
      'main.conf': ['log_config', 'logio', 'unixd', 'version', 'watchdog'].map((name) => `LoadModule ${name}_module modules/mod_${name}.so`).join('\n') + '\n',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(state.warnings, []);
  });

  test('loading a module twice is a warning; LoadModule leaves the tree', () => {
    const { tree, errors, state, dir } = parse({ 'main.conf': WSGI + WSGI });
    assert.deepEqual(errors, []);
    assert.deepEqual(tree, []);
    assert.deepEqual(state.warnings, [`${path.join(dir, 'main.conf')}:2: module wsgi_module is already loaded, skipping`]);
  });

  test('nested IfModule and IfDefine with negations', () => {
    const { tree, errors } = parse({
      'main.conf': MPM + ALIAS + [
        '<IfModule alias_module>',
        '  <IfDefine !NOPE>',
        '    <IfModule !mod_wsgi.c>',
        '      ServerAlias deep',
        '    </IfModule>',
        '    <IfModule mod_wsgi.c>',
        '      ServerAlias wrong',
        '    </IfModule>',
        '  </IfDefine>',
        '</IfModule>',
      ].join('\n'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['deep']);
  });

  test('before an MPM is loaded (a fragment, or a config for tswsgi alone) every implemented module counts; others only once loaded', () => {
    const { tree, errors } = parse({
      'main.conf': WSGI + [
        '<IfModule alias_module>', 'ServerAlias alias', '</IfModule>',
        '<IfModule ssl_module>', 'ServerAlias ssl', '</IfModule>',
      ].join('\n') + '\n' + MPM + '<IfModule alias_module>\nServerAlias alias-after-mpm\n</IfModule>\n',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['alias']);
  });

  test('a loaded module counts whether tswsgi implements it or not, by name or source file; so does one it does not know', () => {
    const { tree, errors } = parse({
      'main.conf': MPM + [
        'LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so',
        'LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so',
        'LoadModule auth_openidc_module /usr/lib/apache2/modules/mod_auth_openidc.so',
        '<IfModule ssl_module>', 'ServerAlias ssl', '</IfModule>',
        '<IfModule mod_ssl.c>', 'ServerAlias mod_ssl.c', '</IfModule>',
        '<IfModule !rewrite_module>', 'ServerAlias no-rewrite', '</IfModule>',
        '<IfModule auth_openidc_module>', 'ServerAlias openidc', '</IfModule>',
        '<IfModule headers_module>', 'ServerAlias headers', '</IfModule>',
      ].join('\n'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(marks(tree), ['ssl', 'mod_ssl.c', 'openidc']);
  });

  test('quotes around the module name are fine; no name is an error', () => {
    const { tree, errors } = parse({ 'main.conf': WSGI + '<IfModule "wsgi_module">\nServerAlias q\n</IfModule>\n<IfModule>\n</IfModule>\n' });
    assert.deepEqual(marks(tree), ['q']);
    assert.deepEqual(errors, ['Syntax error on line 5 of D/main.conf: <IfModule> directive requires additional arguments']);
  });
});

describe('false conditionals', () => {
  test('their contents are skipped whole: no Include, no Define, no errors, no ${} warnings', () => {
    const { tree, errors, state } = parse({
      'main.conf': [
        'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so',
        'LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so',
        '<IfDefine NOPE>',
        '  Include missing.conf',
        '  Define X 1 2 3',
        '  Define SET',
        '  ServerName ${UNDEFINED}',
        '  <Directory /tmp',
        '  </Directory>',
        '  <VirtualHost *:80>',
        '    <IfDefine !NOPE>',
        '      ServerName inner',
        '    </IfDefine>',
        '  </VirtualHost>',
        '</IfDefine>',
        '<IfModule wsgi_module>',
        '  LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so',
        '  BogusDirective',
        '</IfModule>',
        'ServerName kept',
      ].join('\n'),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(state.warnings, []);
    assert.equal(state.defines.has('SET'), false);
    assert.equal(state.modules.loaded.has('wsgi_module'), false);
    assert.deepEqual(outline(tree), ['ServerName kept']);
  });

  test('an unclosed false conditional is Apache\'s error; an unclosed true one is read to the end, as Apache does', () => {
    const off = parse({ 'main.conf': 'ServerName a\n<IfDefine NOPE>\nServerName b\n' });
    assert.deepEqual(off.errors, ['Syntax error on line 2 of D/main.conf: Expected </IfDefine> before end of configuration']);
    assert.deepEqual(outline(off.tree), ['ServerName a']);
    const on = parse({ 'main.conf': 'ServerName a\n<IfDefine !NOPE>\nServerName b\n' });
    assert.deepEqual(on.errors, []);
    assert.deepEqual(outline(on.tree), ['ServerName a', 'ServerName b']);
  });

  test('sections inside a false conditional must still be balanced', () => {
    const { errors } = parse({ 'main.conf': '<IfDefine NOPE>\n</IfModule>\n' });
    assert.deepEqual(errors, ['Syntax error on line 2 of D/main.conf: Expected </IfDefine> but saw </IfModule>']);
    const inner = parse({ 'main.conf': '<IfDefine NOPE>\n<Directory /tmp>\n</IfDefine>\n</Directory>\n' });
    assert.equal(inner.errors[0], 'Syntax error on line 3 of D/main.conf: Expected </Directory> but saw </IfDefine>');
  });
});
