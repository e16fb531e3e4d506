import { parseTemplateRef, templateNotFound } from "./template-ref.js";
import type { TemplateRecord } from "./template.js";
import type { TemplateStore } from "./template-store.js";

/**
 * Finds the template a caller names: by id ("tpl-…", the team's own or the
 * platform's), or by name and tag, the caller's team's first, then the
 * platform's. Anything else (unknown, malformed, another team's, being
 * deleted) is NOT_FOUND with one message, so a reference tells nothing
 * about other teams. A null team (the platform's own builds) sees only the
 * platform's rows.
 */
export async function resolveTemplate(store: TemplateStore, teamId: string | null, text: string): Promise<TemplateRecord> {
  const ref = parseTemplateRef(text);
  let found: TemplateRecord | null = null;
  if (ref?.kind === "id") {
    const row = await store.get(ref.id);
    if (row && row.status !== "deleting" && (row.teamId === null || row.teamId === teamId)) found = row;
  } else if (ref) {
    found = (teamId === null ? null : await store.findByName(teamId, ref.name, ref.tag)) ?? (await store.findByName(null, ref.name, ref.tag));
  }
  if (!found) throw templateNotFound(text);
  return found;
}
