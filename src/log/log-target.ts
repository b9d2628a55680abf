// Where a log goes, as ErrorLog, CustomLog, TransferLog and GlobalLog name it: a file, the
// standard streams, or a piped program ("|prog args", "||prog args", "|$shell command").

export type LogTarget =
  | { kind: 'file'; path: string }
  | { kind: 'stdout' }
  | { kind: 'stderr' }
  /** argv: the program and its arguments, or ['/bin/sh', '-c', command] for "|$". */
  | { kind: 'pipe'; command: string; argv: string[] };

/** One output per key: every log naming the same file or the same pipe command shares it. */
export function targetKey(target: LogTarget): string {
  switch (target.kind) {
    case 'file': return `file:${target.path}`;
    case 'pipe': return `pipe:${target.argv.join('\0')}`;
    default: return target.kind;
  }
}

/**
 * apr_tokenize_to_argv, which Apache splits a piped log's command with when no shell runs it:
 * words split at blanks, "..." and '...' group, and a backslash takes the next character as is.
 */
export function commandWords(command: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (i < command.length && /[ \t]/.test(command[i]!)) i++;
    if (i >= command.length) break;
    let word = '';
    const quote = command[i] === '"' || command[i] === "'" ? command[i++] : null;
    while (i < command.length && (quote ? command[i] !== quote : !/[ \t]/.test(command[i]!))) {
      if (command[i] === '\\' && i + 1 < command.length) i++;
      word += command[i++];
    }
    if (quote) i++;
    words.push(word);
  }
  return words;
}
