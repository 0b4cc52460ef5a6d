// The hosted service's OAuth scopes, with the words the consent page uses.
export const SCOPES: Record<string, string> = {
  flow: "Read and send messages in your flows",
  private: "Read and send your private messages",
  manage: "Manage your flows and organizations",
  profile: "See your name, email address and avatar",
  offline_access: "Stay connected when you are not using it",
  integration: "Add integrations (sources) to your flows",
};

/** Scopes from a space-separated string; undefined when one is unknown. */
export function parseScopes(value: unknown, fallback = "flow"): string[] | undefined {
  const raw = typeof value === "string" && value.trim() ? value : fallback;
  const scopes = [...new Set(raw.trim().split(/[\s+]+/))];
  return scopes.every((s) => s in SCOPES) ? scopes : undefined;
}
