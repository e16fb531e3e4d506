import { posix } from "node:path";
import type { RecipeStep } from "@wrenn/shared";

/**
 * What the recipe's steps have set so far: the user and working directory
 * later steps run as and in, the environment they get, and the background
 * processes START left running. The end result is the template's defaults.
 */
export interface BuildVars {
  user: string;
  workdir: string;
  envs: Record<string, string>;
  started: Array<{ step: number; tag: string }>;
}

/** A build starts as the guest image's ordinary user, in its home. */
export function initialVars(): BuildVars {
  return { user: "wrenn-user", workdir: "/home/wrenn-user", envs: {}, started: [] };
}

/** The vars after step `index` (0-based) has run; pure, so cached steps and the StartBuild checks compute it too. */
export function varsAfter(step: RecipeStep, index: number, vars: BuildVars): BuildVars {
  switch (step.kind) {
    case "ENV":
      return { ...vars, envs: { ...vars.envs, ...step.vars } };
    case "USER":
      return { ...vars, user: step.user };
    case "WORKDIR":
      return { ...vars, workdir: resolveWorkdir(vars.workdir, step.dir) };
    case "START":
      return { ...vars, started: [...vars.started, { step: index + 1, tag: startTag(index + 1) }] };
    default:
      return vars;
  }
}

/** A relative WORKDIR is taken against the current one, like a relative COPY destination. */
export function resolveWorkdir(current: string, dir: string): string {
  return posix.resolve(current, dir);
}

/** Tag of the process a START step leaves running, to find it later (ListProcesses, Connect). */
export function startTag(step: number): string {
  return `build-start-${step}`;
}

/** Steps that change nothing in the guest: no sandbox needed, no checkpoint after them. */
export function isMetadataOnly(step: RecipeStep): boolean {
  return step.kind === "ENV";
}
