// Reading /proc/PID/stat (and /proc/PID/task/TID/stat), whose second field, the command name in
// parentheses, may itself hold spaces and parentheses.

/** Field `n` of a stat line, numbered from 1 as in proc(5): 4 is the parent pid, 14 utime, 41 the policy. */
export function statField(stat: string, n: number): string {
  // Fields 3 onwards start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3] ?? '';
}
