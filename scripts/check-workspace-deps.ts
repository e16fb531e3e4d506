// Part of `npm run lint`: every @wrenn/* package a workspace imports is in
// that workspace's package.json. knip checks this for packages from the
// registry but not for the repository's own workspaces, which npm links at the
// root so an undeclared import works anyway (until the workspace is used alone).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Manifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;

/** The workspaces' folders ("packages/*" and the like, one level of glob). */
function workspaceDirs(): string[] {
  return (manifest(root).workspaces ?? []).flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => join(root, pattern.slice(0, -2), entry.name))
      : [join(root, pattern)],
  );
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !["node_modules", "dist"].includes(entry.name)) yield* tsFiles(path);
    else if (entry.isFile() && entry.name.endsWith(".ts")) yield path;
  }
}

const workspaces = workspaceDirs();
const problems: string[] = [];
for (const dir of [root, ...workspaces]) {
  const own = manifest(dir);
  const declared = new Set([own.name, ...Object.keys({ ...own.dependencies, ...own.devDependencies })]);
  // The root workspace's own code is bench/ and scripts/.
  const sources = dir === root ? [join(root, "bench"), join(root, "scripts")] : [dir];
  for (const file of sources.flatMap((source) => [...tsFiles(source)])) {
    for (const match of readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(@wrenn\/[^/"]+)/g)) {
      if (!declared.has(match[1])) problems.push(`${relative(root, file)} imports ${match[1]}, not in ${relative(root, join(dir, "package.json"))}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`check-workspace-deps: undeclared workspace imports:\n  ${[...new Set(problems)].join("\n  ")}`);
  process.exit(1);
}
