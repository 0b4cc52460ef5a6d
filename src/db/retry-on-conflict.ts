// A transaction that PostgreSQL rolled back because of another one (chosen as
// a deadlock's victim, or a serialization failure) changed nothing and may run
// again: that is the server's own advice for these errors. Used where a person
// waits on the answer and the other party is the delivery worker, e.g. a
// disconnect, whose cascade over the integration's messages can cross the
// worker's acknowledgement of two of them in the other order. SQLite has one
// writer and never raises these.
import { isTransactionConflict } from "./database-faults.ts";

const ATTEMPTS = 3;

export async function retryOnConflict<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (err) {
      if (attempt >= ATTEMPTS || !isTransactionConflict(err)) throw err;
      // A short, jittered pause lets the other transaction finish first.
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt));
    }
  }
}
