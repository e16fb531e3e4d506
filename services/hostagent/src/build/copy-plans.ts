import { errors, type Recipe } from "@wrenn/shared";
import { ArchiveError, planCopy, type BuildArchive, type CopyPlan } from "./archive/build-archive.js";
import { initialVars, varsAfter } from "./build-vars.js";

/**
 * Plans every COPY at StartBuild (the workdir each one sees follows from
 * the steps before it), so a source that matches nothing or escapes the
 * archive is INVALID_ARGUMENT naming the line before anything runs. Keyed
 * by step index (0-based).
 */
export function planCopies(recipe: Recipe, archive: BuildArchive | undefined): Map<number, CopyPlan> {
  const plans = new Map<number, CopyPlan>();
  let vars = initialVars();
  recipe.steps.forEach((step, index) => {
    if (step.kind === "COPY") {
      try {
        plans.set(index, planCopy(archive, step.sources, step.destination, vars.workdir));
      } catch (err) {
        if (err instanceof ArchiveError) throw errors.invalidArgument(`line ${step.line}: ${err.message}`);
        throw err;
      }
    }
    vars = varsAfter(step, index, vars);
  });
  return plans;
}
