/**
 * Per-tick batching with a process-wide cache, for look-ups that AWS answers many at a time: every key asked
 * for in the same tick is grouped (by region, or by region and launch template) and handed to `run` in
 * chunks; each key is asked at most once per process and concurrent asks share one promise.
 */

export class TickBatcher<R> {
  private readonly cache = new Map<string, Promise<R>>();
  private readonly pending = new Map<string, Map<string, (r: R) => void>>();
  private scheduled = false;

  /**
   * @param run answers one chunk of keys of one group; it should not reject (a rejection or a key left
   *   unanswered becomes `fallback(key, cause)`).
   * @param maxBatch most keys per `run` call.
   */
  constructor(
    private readonly run: (group: string, keys: string[]) => Promise<Map<string, R>>,
    private readonly maxBatch: number,
    private readonly fallback: (key: string, cause: string) => R,
  ) {}

  get(group: string, key: string): Promise<R> {
    const cacheKey = `${group}\u0000${key}`;
    let p = this.cache.get(cacheKey);
    if (!p) {
      p = new Promise<R>((resolve) => {
        let waiting = this.pending.get(group);
        if (!waiting) this.pending.set(group, (waiting = new Map()));
        waiting.set(key, resolve);
      });
      this.cache.set(cacheKey, p);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }
    return p;
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending.entries()];
    this.pending.clear();
    for (const [group, waiting] of all) {
      const keys = [...waiting.keys()];
      for (let i = 0; i < keys.length; i += this.maxBatch) {
        const chunk = keys.slice(i, i + this.maxBatch);
        void this.run(group, chunk).then(
          (results) => {
            for (const k of chunk)
              waiting.get(k)!(results.get(k) ?? this.fallback(k, "the answer did not mention it"));
          },
          (e: unknown) => {
            for (const k of chunk) waiting.get(k)!(this.fallback(k, String((e as Error)?.message ?? e)));
          },
        );
      }
    }
  }
}
