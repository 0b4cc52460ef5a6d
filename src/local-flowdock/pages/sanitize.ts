// Integration messages carry HTML: titles may hold links only, bodies a safe
// subset. Everything else is stripped before a page shows it.
import sanitizeHtml from "sanitize-html";

const links = { a: ["href", "title"] };
const safeLink = { allowedSchemes: ["http", "https", "mailto"], transformTags: { a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer" }) } };

export function renderTitle(html: string | null | undefined): string {
  return sanitizeHtml(html ?? "", { allowedTags: ["a"], allowedAttributes: links, ...safeLink });
}

export function renderMessage(html: string | null | undefined): string {
  return sanitizeHtml(html ?? "", {
    allowedTags: ["p", "br", "b", "strong", "i", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a"],
    allowedAttributes: links,
    ...safeLink,
  });
}
