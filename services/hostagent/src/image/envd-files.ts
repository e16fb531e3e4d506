import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Regular files in the envd bundle's directory, sorted: they are copied to /opt/wrenn in the guest. */
export async function envdFiles(bundle: string): Promise<string[]> {
  const dir = dirname(bundle);
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && !e.name.endsWith(".map")).map((e) => join(dir, e.name)).sort();
}
