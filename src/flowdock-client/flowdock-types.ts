// The parts of Flowdock's answers this app relies on, checked at the boundary
// (contract sections 3 and 4). Unknown fields are ignored, missing ones are errors.
import { z } from "zod";

export const flowSchema = z.object({
  id: z.string(),
  name: z.string(),
  parameterized_name: z.string(),
  url: z.url(),
  web_url: z.url(),
  organization: z.object({ name: z.string(), parameterized_name: z.string(), user_count: z.number().int().nonnegative().optional() }),
  users: z.array(z.object({ id: z.union([z.number(), z.string()]) })).optional(),
  links: z.object({ sources: z.object({ href: z.url(), methods: z.array(z.string()).optional() }) }),
});
export type Flow = z.infer<typeof flowSchema>;

// Flowdock's user ids are numbers; they are compared as text with a token's `sub`.
export const userSchema = z.object({
  id: z.union([z.number().int(), z.string().min(1)]).transform(String),
  name: z.string(),
  email: z.string().optional().default(""),
});
export type FlowdockUser = z.infer<typeof userSchema>;

export const sourceSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  url: z.url(),
  error_message: z.string().nullable().optional(),
});
export type Source = z.infer<typeof sourceSchema>;

export const createdSourceSchema = sourceSchema.extend({ flow_token: z.string().min(1) });
export type CreatedSource = z.infer<typeof createdSourceSchema>;

/** A button on a thread (contract section 6): a link, or a request Flowdock sends to us. */
export type ThreadAction =
  | { "@type": "ViewAction"; name: string; description?: string; url: string }
  | { "@type": "UpdateAction"; name: string; description?: string; target: { "@type": "EntryPoint"; urlTemplate: string; httpMethod: "POST" } };

/** An activity or discussion for POST /messages (contract section 5). */
export interface ThreadState {
  title: string;
  body?: string;
  external_url?: string;
  status?: { color: string; value: string };
  fields?: { label: string; value: string }[];
  actions?: ThreadAction[];
}

export interface OutgoingMessage {
  event: "activity" | "discussion";
  author: { name: string; avatar?: string; email?: string };
  title?: string;
  body?: string;
  external_thread_id: string;
  thread: ThreadState;
  tags?: string[];
  uuid: string;
}
