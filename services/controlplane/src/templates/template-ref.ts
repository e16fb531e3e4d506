import { errors, fromWireId, isWireId, quoteForMessage } from "@wrenn/shared";

/** How callers name a template: its id, or a name and tag ("latest" when none). */
export type TemplateRef = { kind: "id"; id: string } | { kind: "name"; name: string; tag: string };

export const defaultTag = "latest";
const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const tagPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** "tpl-…", "name" or "name:tag"; null when it is none of those (callers answer as for an unknown template). */
export function parseTemplateRef(text: string): TemplateRef | null {
  if (isWireId("tpl", text)) return { kind: "id", id: fromWireId("tpl", text) };
  const named = parseName(text);
  return named ? { kind: "name", ...named } : null;
}

/** A new template's "name" or "name:tag": INVALID_ARGUMENT naming `field` when malformed. */
export function parseTemplateName(text: string, field: string): { name: string; tag: string } {
  const named = parseName(text);
  if (!named || text.startsWith("tpl-")) {
    throw errors.invalidArgument(
      `${field} must be "name" or "name:tag" (name: lowercase letters, digits, ".", "_", "-", at most 63; tag: letters, digits, ".", "_", "-", at most 64), got ${quoteForMessage(text)}`,
    );
  }
  return named;
}

function parseName(text: string): { name: string; tag: string } | null {
  const at = text.indexOf(":");
  const name = at < 0 ? text : text.slice(0, at);
  const tag = at < 0 ? defaultTag : text.slice(at + 1);
  return namePattern.test(name) && tagPattern.test(tag) ? { name, tag } : null;
}

/** The one answer for a template that is unknown, malformed, or another team's. */
export function templateNotFound(text: string): Error {
  return errors.notFound(`template ${quoteForMessage(text)} not found`);
}
