// Two owners stepping down at the same moment: exactly one of them may, so the
// project is never left without an owner, on the test database (SQLite unless
// TEST_DATABASE says otherwise) and always on PostgreSQL, where READ COMMITTED
// would let both see the other as owner without the project lock.
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import { DANA, SAM, userId, website } from "../support/people.ts";
import { membershipsRepository } from "../../src/tracker/memberships.repository.ts";

const pgAvailable = await postgresAvailable();
let app: TestApp | undefined;
let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await app?.close();
  await drop?.();
  app = undefined;
  drop = undefined;
});

async function raceToStepDown(testApp: TestApp, rounds: number) {
  const memberships = membershipsRepository(testApp.db);
  const projectId = (await website(testApp)).id;
  const [dana, sam] = [await userId(testApp, DANA.email), await userId(testApp, SAM.email)];
  for (let round = 0; round < rounds; round++) {
    await testApp.db.membership.updateMany({ where: { projectId }, data: { role: "owner" } });
    // Half the rounds each demotes themselves, half each removes the other.
    const results = round % 2 === 0
      ? await Promise.all([memberships.changeRole(projectId, dana, "member"), memberships.changeRole(projectId, sam, "member")])
      : await Promise.all([memberships.remove(projectId, sam), memberships.remove(projectId, dana)]);
    expect(results.slice().sort()).toEqual(["done", "last-owner"]);
    expect(await testApp.db.membership.count({ where: { projectId, role: "owner" } })).toBe(1);
    if (round % 2 === 1) {
      const gone = results[0] === "done" ? sam : dana;
      await testApp.db.membership.create({ data: { projectId, userId: gone, role: "owner" } });
    }
  }
}

describe("the last owner under concurrency", () => {
  it("when both owners of a project step down at once on the test database, one succeeds and one is refused", async () => {
    app = await startTestApp("http://127.0.0.1:9");
    await raceToStepDown(app, 10);
  });

  it.skipIf(!pgAvailable)("when both owners of a project step down at once on PostgreSQL, one succeeds and one is refused", async () => {
    const scratch = await createScratchDatabase();
    drop = scratch.drop;
    app = await startTestApp("http://127.0.0.1:9", { DATABASE_URL: scratch.url });
    await raceToStepDown(app, 20);
  });
});
