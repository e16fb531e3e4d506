import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envdBundle } from "./harness.js";

/** Builds services/envd/dist/envd.mjs when it is missing or older than envd's sources. */
export default function setup(): void {
  const envdSrc = fileURLToPath(new URL("../../envd/src", import.meta.url));
  const bundleTime = (() => {
    try {
      return statSync(envdBundle).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (bundleTime > 0 && newestMtime(envdSrc) <= bundleTime) return;
  execFileSync("npm", ["run", "build", "-w", "@wrenn/envd"], {
    cwd: fileURLToPath(new URL("../../..", import.meta.url)),
    stdio: "ignore",
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
