import { e2bTemplate } from "./e2b-template.js";
import { parseTemplateRef } from "./template-ref.js";
import { resolveTemplate } from "./template-resolver.js";
import type { TemplateRecord } from "./template.js";
import type { TemplateStore } from "./template-store.js";

/**
 * The template a new sandbox starts from. As resolveTemplate, except that
 * the E2B template's name, while no ready row has it (its build still runs,
 * or no host can build it: the namespace runtime), starts the platform base,
 * so E2B programs start everywhere. Only sandbox creation falls back:
 * GetTemplate and DeleteTemplate never name the base for it.
 */
export async function resolveSandboxTemplate(store: TemplateStore, teamId: string, text: string): Promise<TemplateRecord> {
  const ref = parseTemplateRef(text);
  const isE2b = ref?.kind === "name" && ref.name === e2bTemplate.name && ref.tag === e2bTemplate.tag;
  if (!isE2b) return resolveTemplate(store, teamId, text);
  return resolveTemplate(store, teamId, text).catch(() => resolveTemplate(store, null, e2bTemplate.fallback));
}
