// People write issue descriptions and comments in Markdown. This is the one
// place it becomes HTML, for the app's own pages and for the thread and
// message bodies posted to Flowdock (which shows them as HTML): markdown-it
// renders it with raw HTML switched off, and sanitize-html then keeps only
// the small set of tags both places show, so nobody's text can carry a script,
// a style or a link to anything but a web page or an email address.
import MarkdownIt from "markdown-it";
import sanitizeHtml from "sanitize-html";

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true });

const SAFE: sanitizeHtml.IOptions = {
  allowedTags: ["p", "br", "strong", "em", "del", "s", "code", "pre", "ul", "ol", "li", "blockquote", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr"],
  allowedAttributes: { a: ["href", "title", "rel"], ol: ["start"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowProtocolRelative: false,
  transformTags: { a: sanitizeHtml.simpleTransform("a", { rel: "nofollow noopener noreferrer" }) },
};

/** Markdown as safe HTML; empty text is an empty string. */
export function renderMarkdown(text: string): string {
  if (!text.trim()) return "";
  return sanitizeHtml(markdown.render(text), SAFE).trim();
}
