import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ProcessEventSchema } from "@wrenn/gen/e2b/process/process_pb.js";
import type { EndEvent, ProcessEvent as WrennEvent } from "@wrenn/gen/wrenn/envd/v1/process.js";

export type E2bEvent = MessageInitShape<typeof ProcessEventSchema>;

/**
 * How Go's os.ProcessState names a signal, which E2B's envd puts in
 * EndEvent.status as "signal: <name>" (SDKs show it, some parse it).
 */
const goSignalNames: Record<string, string> = {
  SIGHUP: "hangup",
  SIGINT: "interrupt",
  SIGQUIT: "quit",
  SIGILL: "illegal instruction",
  SIGTRAP: "trace/breakpoint trap",
  SIGABRT: "aborted",
  SIGBUS: "bus error",
  SIGFPE: "floating point exception",
  SIGKILL: "killed",
  SIGUSR1: "user defined signal 1",
  SIGSEGV: "segmentation fault",
  SIGUSR2: "user defined signal 2",
  SIGPIPE: "broken pipe",
  SIGALRM: "alarm clock",
  SIGTERM: "terminated",
};

/**
 * Wrenn's end event in E2B's form. E2B reports `exit status N` for a process
 * that exited and `signal: killed` (exit code -1) for one a signal ended,
 * and sets `error` to that same text whenever the exit code is not 0: the
 * SDKs throw CommandExitError with it as the message. Wrenn's own reason (a
 * timeout it enforced, a process that could not run) is kept when it has one.
 */
export function toE2bEnd(end: EndEvent): E2bEvent {
  const status = end.exited ? `exit status ${end.exitCode}` : `signal: ${goSignalNames[end.signal] ?? (end.signal || "unknown")}`;
  const error = end.error !== "" ? end.error : end.exitCode !== 0 ? status : undefined;
  return { event: { case: "end", value: { exitCode: end.exitCode, exited: end.exited, status, error } } };
}

/** One Wrenn process event as E2B's; undefined for what E2B has no event for (truncated replay, Wrenn's own keepalives). */
export function toE2bEvent(event: WrennEvent | undefined): E2bEvent | undefined {
  if (event?.start) return { event: { case: "start", value: { pid: event.start.pid } } };
  if (event?.data?.stdout !== undefined) return { event: { case: "data", value: { output: { case: "stdout", value: event.data.stdout } } } };
  if (event?.data?.stderr !== undefined) return { event: { case: "data", value: { output: { case: "stderr", value: event.data.stderr } } } };
  if (event?.data?.pty !== undefined) return { event: { case: "data", value: { output: { case: "pty", value: event.data.pty } } } };
  if (event?.end) return toE2bEnd(event.end);
  return undefined;
}

export const keepaliveEvent: E2bEvent = { event: { case: "keepalive", value: {} } };
