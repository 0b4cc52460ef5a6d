// The rules of POST /messages (contract section 5), as one zod schema.
import { z } from "zod";

export const STATUS_COLORS = ["red", "green", "yellow", "cyan", "orange", "grey", "black", "lime", "purple", "blue"] as const;

const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048);
const text = (max: number) => z.string().max(max, `is too long (at most ${max} characters)`);
const required = (max: number) => text(max).trim().min(1, "can't be blank");

const action = z.discriminatedUnion("@type", [
  z.object({ "@type": z.literal("ViewAction"), name: required(100), description: text(500).optional(), url: httpUrl, image: httpUrl.optional() }),
  z.object({
    "@type": z.literal("UpdateAction"), name: required(100), description: text(500).optional(),
    target: z.object({ "@type": z.literal("EntryPoint"), urlTemplate: httpUrl, httpMethod: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]) }),
  }),
]);

export const threadInput = z.object({
  title: required(255),
  body: text(65536).optional(),
  external_url: httpUrl.optional(),
  status: z.object({ color: z.enum(STATUS_COLORS, { message: `must be one of ${STATUS_COLORS.join(", ")}` }), value: required(64) }).optional(),
  fields: z.array(z.object({ label: required(255), value: text(2048) })).max(50).optional(),
  actions: z.array(action).max(10).optional(),
});

const filled = (value: unknown) => typeof value === "string" && value.trim() !== "";

export const messageInput = z
  .object({
    flow_token: z.string().optional(),
    event: z.enum(["activity", "discussion"], { message: "must be activity or discussion" }),
    author: z.object({ name: required(255), avatar: httpUrl.optional(), email: z.email().optional() }, { message: "is required" }),
    title: text(1000).optional(),
    body: text(65536).optional(),
    external_thread_id: required(255).optional(),
    thread_id: required(64).optional(),
    thread: threadInput.optional(),
    tags: z.union([z.array(text(100)).max(100), text(2000)]).optional(),
    uuid: required(255).optional(),
  })
  // Runs even when some field already failed, so one answer names every broken
  // field; the values may then be unparsed input, hence the type checks.
  .superRefine((m, ctx) => {
    if (m.event === "activity" && !filled(m.title)) ctx.addIssue({ code: "custom", path: ["title"], message: "is required for an activity" });
    // The docs describe a discussion as a comment; one with no text has nothing to show.
    if (m.event === "discussion" && !filled(m.body)) ctx.addIssue({ code: "custom", path: ["body"], message: "is required for a discussion" });
    if (!filled(m.external_thread_id) && !filled(m.thread_id)) {
      ctx.addIssue({ code: "custom", path: ["external_thread_id"], message: "external_thread_id or thread_id is required" });
    }
  }, { when: (payload) => typeof payload.value === "object" && payload.value !== null })
  .transform((m) => ({
    ...m,
    tags: typeof m.tags === "string" ? m.tags.split(",").map((t) => t.trim()).filter(Boolean) : (m.tags ?? []),
  }));

export type MessageInput = z.output<typeof messageInput>;
