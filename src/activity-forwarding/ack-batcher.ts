// Acknowledges sent rows in batches without delaying any: the first row is
// written at once, and rows sent while that write is under way go together in
// the next one (group commit). Under load one query acknowledges many rows;
// at rest each row costs one query, as before.
export class AckBatcher {
  private waiting: { id: number; done: (err?: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly write: (ids: number[]) => Promise<void>) {}

  /** Resolves once the row's acknowledgement is committed. */
  add(id: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.write(batch.map((b) => b.id));
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.done(err ?? new Error("acknowledgement failed"));
      }
    }
    this.writing = false;
  }
}
