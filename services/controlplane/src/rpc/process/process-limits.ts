import { errors, quoteForMessage } from "@wrenn/shared";
import type { ProcessConfig } from "@wrenn/gen/wrenn/envd/v1/process.js";

/**
 * What Linux's execve takes: one argument or "NAME=value" string at most
 * MAX_ARG_STRLEN (32 pages, 128 KiB, its NUL included), and all of them with
 * their pointers within ARG_MAX (a quarter of the stack limit, 2 MiB by
 * default, which the sandbox's own environment shares). Past that the spawn
 * fails with E2BIG inside the sandbox; here it is the caller's mistake.
 */
export const processLimits = {
  stringBytes: 128 * 1024 - 1,
  totalBytes: 1024 * 1024,
  cmdBytes: 4096,
} as const;

export function checkProcessConfig(process: ProcessConfig, field = "start.process"): void {
  const cmdBytes = Buffer.byteLength(process.cmd);
  if (cmdBytes > processLimits.cmdBytes) throw errors.invalidArgument(`${field}.cmd must be at most ${processLimits.cmdBytes} bytes`);
  let total = cmdBytes + 9;
  process.args.forEach((arg, index) => {
    const bytes = Buffer.byteLength(arg);
    if (bytes > processLimits.stringBytes) {
      throw errors.invalidArgument(`${field}.args[${index}] is ${bytes} bytes; one argument may be at most ${processLimits.stringBytes}`);
    }
    total += bytes + 9;
  });
  for (const [name, value] of Object.entries(process.envs)) {
    const bytes = Buffer.byteLength(name) + 1 + Buffer.byteLength(value);
    if (bytes > processLimits.stringBytes) {
      throw errors.invalidArgument(`${field}.envs[${quoteForMessage(name)}] is ${bytes} bytes as NAME=value; at most ${processLimits.stringBytes}`);
    }
    total += bytes + 9;
  }
  if (total > processLimits.totalBytes) {
    throw errors.invalidArgument(`${field}: cmd, args and envs take ${total} bytes; together they may take at most ${processLimits.totalBytes}`);
  }
}
