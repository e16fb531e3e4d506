import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceName, Stack } from "@wrenn/devstack";

/** A service's log file as the stack wrote it (pino JSON, one entry a line). */
export async function logText(stack: Stack, service: ServiceName): Promise<string> {
  return readFile(join(stack.logDir, `${service}.log`), "utf8").catch(() => "");
}

/** The entries of a service's log that parse as JSON objects (a line cut by a crash does not). */
export async function logEntries(stack: Stack, service: ServiceName): Promise<Record<string, unknown>[]> {
  const entries: Record<string, unknown>[] = [];
  for (const line of (await logText(stack, service)).split("\n")) {
    try {
      const entry: unknown = JSON.parse(line);
      if (entry && typeof entry === "object") entries.push(entry as Record<string, unknown>);
    } catch {
      // Not a JSON line (empty, or the tail of a line cut short).
    }
  }
  return entries;
}
