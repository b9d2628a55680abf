// WSGIScriptReloading: a WSGI script whose file changes restarts the processes that run it,
// as mod_wsgi restarts a daemon process whose script changed. Polled, not watched with
// inotify: editors and deploy tools replace files by rename, which a watch loses.

import * as fs from 'node:fs';

interface Watched<Pool> {
  mtimeMs: number;
  pools: Set<Pool>;
}

export class ScriptWatch<Pool> {
  private readonly scripts = new Map<string, Watched<Pool>>();
  private polling = false;

  constructor(private readonly changed: (script: string, pools: Pool[]) => void) {}

  /** The script runs in this pool. Cheap when already known: called for every request. */
  add(script: string, pool: Pool): void {
    const known = this.scripts.get(script);
    if (known) {
      known.pools.add(pool);
      return;
    }
    let mtimeMs = 0;
    try {
      mtimeMs = fs.statSync(script).mtimeMs;
    } catch {
      // A missing script gets its 404; should it appear, that is a change too.
    }
    this.scripts.set(script, { mtimeMs, pools: new Set([pool]) });
  }

  /** Forgets a pool that was removed. */
  remove(pool: Pool): void {
    for (const watched of this.scripts.values()) watched.pools.delete(pool);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [script, watched] of this.scripts) {
        const mtimeMs = await fs.promises.stat(script).then((s) => s.mtimeMs, () => 0);
        if (mtimeMs === watched.mtimeMs) continue;
        watched.mtimeMs = mtimeMs;
        if (watched.pools.size > 0) this.changed(script, [...watched.pools]);
      }
    } finally {
      this.polling = false;
    }
  }
}
