import { errors, isWireId, parseRecipe, quoteForMessage, RecipeError, type Recipe } from "@wrenn/shared";
import type { TemplateInfo } from "../runtime/runtime.js";

/** A StartBuild spec after validation. */
export interface ValidSpec {
  buildId: string;
  templateId: string;
  fromTemplateId: string;
  recipe: Recipe;
  /** 0: the FROM template's size (known only once a lazily made base size exists). */
  diskMiB: number;
  stepTimeoutMs: number;
}

export interface RawSpec {
  buildId: string;
  templateId: string;
  fromTemplateId: string;
  recipe: string;
  diskMib: number;
  stepTimeoutSeconds: number;
}

// The host's template id pattern (runtime/qemu/qemu-templates.ts); a tpl-… wire id fits it.
const templateIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Base sizes the runtime makes on first use. */
const baseSizePattern = /^base-[0-9]{1,2}x[0-9]{3,5}$/;
const defaultStepTimeoutSeconds = 600;
const maxStepTimeoutSeconds = 24 * 3600;
const maxDiskMiB = 1024 * 1024;

/** INVALID_ARGUMENT / NOT_FOUND / ALREADY_EXISTS for a spec no build can come of; the recipe's errors name their line. */
export function validateSpec(raw: RawSpec, templates: TemplateInfo[]): ValidSpec {
  if (!isWireId("bld", raw.buildId)) {
    throw errors.invalidArgument(`build_id must be "bld-" followed by 32 lowercase hex digits, got ${quoteForMessage(raw.buildId)}`);
  }
  if (!templateIdPattern.test(raw.templateId)) {
    throw errors.invalidArgument(`template_id must be lowercase letters, digits and dashes (1-63), got ${quoteForMessage(raw.templateId)}`);
  }
  if (templates.some((t) => t.id === raw.templateId)) throw errors.alreadyExists(`template "${raw.templateId}" already exists`);
  const fromTemplateId = raw.fromTemplateId || "base";
  const from = templates.find((t) => t.id === fromTemplateId);
  if (from === undefined && !baseSizePattern.test(fromTemplateId)) throw errors.notFound(`template ${quoteForMessage(fromTemplateId)} not found`);
  if (raw.diskMib > maxDiskMiB) throw errors.invalidArgument(`disk_mib must be at most ${maxDiskMiB}`);
  if (from !== undefined && raw.diskMib !== 0 && raw.diskMib < from.diskMiB) {
    throw errors.invalidArgument(`disk_mib ${raw.diskMib} is smaller than template "${fromTemplateId}"'s disk (${from.diskMiB} MiB); a disk may only grow`);
  }
  if (raw.stepTimeoutSeconds > maxStepTimeoutSeconds) throw errors.invalidArgument(`step_timeout_seconds must be at most ${maxStepTimeoutSeconds}`);
  let recipe: Recipe;
  try {
    recipe = parseRecipe(raw.recipe);
  } catch (err) {
    if (err instanceof RecipeError) throw errors.invalidArgument(err.message);
    throw err;
  }
  return {
    buildId: raw.buildId,
    templateId: raw.templateId,
    fromTemplateId,
    recipe,
    diskMiB: raw.diskMib,
    stepTimeoutMs: (raw.stepTimeoutSeconds || defaultStepTimeoutSeconds) * 1000,
  };
}
