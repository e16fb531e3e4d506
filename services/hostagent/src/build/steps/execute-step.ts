import type { RecipeStep } from "@wrenn/shared";
import { copyStep } from "./copy-step.js";
import { readyStep } from "./ready-step.js";
import { runStep } from "./run-step.js";
import { startStep } from "./start-step.js";
import type { StepContext } from "./step-context.js";
import { userStep } from "./user-step.js";
import { workdirStep } from "./workdir-step.js";
import { resolveWorkdir } from "../build-vars.js";

/** Does one recipe step's guest work; the vars it changes are build-vars.ts's (varsAfter). */
export async function executeStep(step: RecipeStep, ctx: StepContext): Promise<void> {
  switch (step.kind) {
    case "RUN":
      return runStep(ctx, step.command);
    case "START":
      return startStep(ctx, step.command);
    case "READY":
      return readyStep(ctx, step.command);
    case "USER":
      return userStep(ctx, step.user);
    case "WORKDIR":
      return workdirStep(ctx, resolveWorkdir(ctx.vars.workdir, step.dir));
    case "COPY":
      return copyStep(ctx);
    case "ENV":
      return;
  }
}
