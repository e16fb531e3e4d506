import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** vitest globalSetup: the tests run the bundle that ships, so build it first. */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  try {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "pipe" });
  } catch (err) {
    throw new Error(`building the envd bundle failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
}
