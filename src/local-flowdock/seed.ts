// First-start data: the Acme organization, its two flows, two people, and the
// developer application of this project. The application is brought in line
// with the app's current config at every start, so a new port or base URL never
// strands the demo.
import crypto from "node:crypto";
import { hashPassword } from "../crypto/password.ts";
import type { Store } from "./store/store.ts";

export interface IntegrationRegistration {
  name: string;
  clientId: string;
  clientSecret: string;
  appBaseUrl: string;
}

export const DEMO_PASSWORD = "flowdock";

export async function seedDirectory(store: Store): Promise<void> {
  if (store.directory.organizationByName("acme")) return;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const { db } = store;
  db.transaction(() => {
    const org = db.prepare("INSERT INTO organizations (name, parameterized_name, user_limit) VALUES ('Acme Inc', 'acme', 50)").run().lastInsertRowid;
    const addUser = db.prepare("INSERT INTO users (email, name, nick, password_hash, avatar) VALUES (?, ?, ?, ?, ?)");
    const alice = addUser.run("alice@example.com", "Alice Anders", "Alice", passwordHash, avatarFor("alice@example.com")).lastInsertRowid;
    const bob = addUser.run("bob@example.com", "Bob Berg", "Bob", passwordHash, avatarFor("bob@example.com")).lastInsertRowid;
    db.prepare("INSERT INTO organization_members (organization_id, user_id, admin) VALUES (?, ?, 1), (?, ?, 0)").run(org, alice, org, bob);
    const addFlow = db.prepare("INSERT INTO flows (id, organization_id, name, parameterized_name) VALUES (?, ?, ?, ?)");
    const main = crypto.randomUUID();
    const support = crypto.randomUUID();
    addFlow.run(main, org, "Main", "main");
    addFlow.run(support, org, "Support", "support");
    // Bob is in Main only, so "a flow the user cannot see" has a ready example.
    db.prepare("INSERT INTO flow_members (flow_id, user_id) VALUES (?, ?), (?, ?), (?, ?)").run(main, alice, main, bob, support, alice);
  })();
}

export function syncIntegrationApplication(store: Store, app: IntegrationRegistration) {
  const owner = store.directory.userByEmail("alice@example.com");
  return store.applications.upsertByClientId({
    name: app.name,
    client_id: app.clientId,
    client_secret: app.clientSecret,
    callback_uri: `${app.appBaseUrl}/auth/flowdock/callback`,
    setup_uri: `${app.appBaseUrl}/flowdock/setup`,
    configuration_uri: `${app.appBaseUrl}/flowdock/configure`,
    icon_url: `${app.appBaseUrl}/assets/icon.svg`,
    owner_user_id: owner?.id ?? null,
  });
}

function avatarFor(email: string): string {
  // Hosted Flowdock served Gravatar URLs; any stable URL will do here.
  return `https://www.gravatar.com/avatar/${crypto.createHash("md5").update(email).digest("hex")}`;
}
