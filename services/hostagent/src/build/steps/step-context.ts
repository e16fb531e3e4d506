import type { EnvdConnection } from "../../envd/envd-connection.js";
import type { BuildArchive, CopyPlan } from "../archive/build-archive.js";
import type { BuildVars } from "../build-vars.js";
import type { StepOutput } from "../step-output.js";

/** What an instruction's executor gets: the build sandbox's envd and the vars as they were before the step. */
export interface StepContext {
  envd: EnvdConnection;
  vars: BuildVars;
  /** 1-based step number (FROM excluded). */
  step: number;
  output: StepOutput;
  /** Limit of each RUN and of READY's retries. */
  timeoutMs: number;
  signal: AbortSignal;
  archive?: BuildArchive;
  /** COPY only: planned at StartBuild. */
  plan?: CopyPlan;
}

/** A step that failed on its own terms (as opposed to a broken sandbox): reported as the step's failure. */
export class StepError extends Error {
  constructor(
    readonly reason: string,
    readonly outputTail = "",
  ) {
    super(reason);
    this.name = "StepError";
  }
}
