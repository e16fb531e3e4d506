import type { TemplateInfo } from "../runtime/runtime.js";

/** What a build is doing; "queued" until its runner starts. */
export type BuildStateName = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/**
 * One entry of a build's event log (the rpc layer maps them onto
 * build.proto's BuildEvent). `seq` counts from 1 within the build, so a
 * watcher that saw up to N resumes with after_seq = N.
 */
export type BuildEventBody =
  | { kind: "phase"; phase: string; detail: string }
  | { kind: "stepStarted"; step: number; line: number; instruction: string; cached: boolean }
  | { kind: "stepOutput"; step: number; stream: "stdout" | "stderr"; text: string }
  | { kind: "stepFinished"; step: number; durationMs: number; cached: boolean }
  | { kind: "stepFailed"; step: number; line: number; reason: string; outputTail: string }
  | { kind: "ended"; state: "succeeded" | "failed" | "cancelled"; error: string; template?: TemplateInfo };

export interface BuildEvent {
  seq: number;
  at: Date;
  body: BuildEventBody;
}
