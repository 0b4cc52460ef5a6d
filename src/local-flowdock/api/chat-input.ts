// The rules of a chat post (messages.md "Send a message"), as zod schemas.
import { z } from "zod";
import { tagList } from "./tags.ts";

// messages.md: "The maximum length of the content is 8096 characters."
export const CONTENT_MAX = 8096;
const content = z.string({ message: "can't be blank" }).max(CONTENT_MAX, `is too long (at most ${CONTENT_MAX} characters)`)
  .refine((s) => s.trim() !== "", "can't be blank");
const tags = z.union([z.array(z.string().max(100)).max(100), z.string().max(2000)]).optional().transform(tagList);
const id = z.union([z.number().int().positive(), z.string().regex(/^\d+$/, "must be a message id").transform(Number)]);

/** A person's post; `message` (the commented message) is required for a comment. */
export const userPostInput = z.object({
  flow: z.string().optional(),
  event: z.enum(["message", "status", "comment"], {
    message: "must be message, status or comment (team-inbox activities and discussions are posted with a flow_token)",
  }),
  content,
  tags,
  uuid: z.string().trim().min(1, "can't be blank").max(255).optional(),
  thread_id: z.string().trim().min(1).max(64).optional(),
  message: id.optional(),
  external_user_name: z.string().trim().min(1, "can't be blank").max(255).optional(),
}).superRefine((m, ctx) => {
  if (m.event === "comment" && m.message === undefined) ctx.addIssue({ code: "custom", path: ["message"], message: "is required for a comment: the id of the commented message" });
  if (m.event !== "comment" && m.message !== undefined) ctx.addIssue({ code: "custom", path: ["message"], message: "is only for comments" });
});

/** A chat message posted with a flow token: anonymous, so it names its sender. */
export const flowTokenChatInput = z.object({
  flow_token: z.string().optional(),
  event: z.literal("message"),
  content,
  external_user_name: z.string({ message: "is required for a chat message posted with a flow_token" }).trim()
    .min(1, "can't be blank").max(255),
  tags,
  uuid: z.string().trim().min(1, "can't be blank").max(255).optional(),
  thread_id: z.string().trim().min(1).max(64).optional(),
});

export const editInput = z.object({
  content: content.optional(),
  tags: z.union([z.array(z.string().max(100)).max(100), z.string().max(2000)]).optional(),
}).refine((e) => e.content !== undefined || e.tags !== undefined, { message: "content or tags is required", path: ["content"] });
