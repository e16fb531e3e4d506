// Part of `npm run lint`: plants one violation of each structural rule and
// fails unless the rule reports it, so a config change or a tool upgrade
// cannot switch a rule off silently (a green lint would then prove nothing).
// ESLint plants go through its Node API as text for a real file (nothing is
// written); dependency-cruiser reads files, so its plants are a small tree in
// a temporary folder, checked with the repository's own config.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const failures: string[] = [];
let checked = 0;

function expectRule(what: string, reported: string[], rule: string): void {
  checked += 1;
  if (!reported.includes(rule)) failures.push(`${what}: expected ${rule}, got [${reported.join(", ")}]`);
}

// --- ESLint: each plant is an existing file's text plus one line.
const eslintPlants = [
  {
    what: "cross-service import (relative)",
    file: "services/envd/src/version.ts",
    line: 'import "../../controlplane/src/config.js";',
    rule: "import-x/no-restricted-paths",
  },
  {
    what: "cross-service import (by package name)",
    file: "services/envd/src/version.ts",
    line: 'import "@wrenn/controlplane";',
    rule: "no-restricted-imports",
  },
  {
    what: "another package's src/ internals",
    file: "services/envd/src/version.ts",
    line: 'import "@wrenn/shared/src/errors.js";',
    rule: "no-restricted-imports",
  },
  {
    // managed-process.ts imports spawn-child.ts; the plant closes the loop.
    what: "import cycle",
    file: "services/envd/src/process/spawn-child.ts",
    line: 'import "./managed-process.js";',
    rule: "import-x/no-cycle",
  },
  {
    what: "floating promise",
    file: "services/envd/src/version.ts",
    line: "Promise.resolve();",
    rule: "@typescript-eslint/no-floating-promises",
  },
];

/** The typed rules get a program of just the planted files (and what they
 * import): building the whole repository's takes several times as long. */
async function checkEslint(scratch: string): Promise<void> {
  const plantProject = join(scratch, "tsconfig.plants.json");
  const files = [...new Set(eslintPlants.map((plant) => join(root, plant.file)))];
  writeFileSync(plantProject, JSON.stringify({ extends: join(root, "tsconfig.json"), include: [], files }));
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      files: ["**/*.ts"],
      languageOptions: {
        // With CI=true typescript-eslint infers a "single run" and types the files as they are on
        // disk, without the planted line: the typed and resolver rules would then see no plant.
        parserOptions: { projectService: false, project: [plantProject], disallowAutomaticSingleRunInference: true },
      },
    },
  });
  for (const plant of eslintPlants) {
    const filePath = join(root, plant.file);
    const code = `${readFileSync(filePath, "utf8")}\n${plant.line}\n`;
    const [result] = await eslint.lintText(code, { filePath });
    expectRule(plant.what, result.messages.map((m) => m.ruleId ?? m.message), plant.rule);
  }
}

// --- dependency-cruiser: a throwaway tree shaped like the repository.
const tree: Record<string, string> = {
  "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }),
  // A cycle through type-only imports, which import-x/no-cycle does not see.
  "services/envd/src/a.ts": 'import type { B } from "./b.js";\nexport type A = { b?: B };\n',
  "services/envd/src/b.ts": 'import type { A } from "./a.js";\nexport type B = { a?: A };\n',
  "services/hostagent/src/network/net.ts": 'import { run } from "../runtime/run.js";\nexport const net = run;\n',
  "services/hostagent/src/runtime/run.ts": "export const run = 1;\n",
  "services/controlplane/src/lifecycle/domain.ts": 'import { row } from "../db/row.js";\nexport const domain = row;\n',
  "services/controlplane/src/db/row.ts": "export const row = 1;\n",
  "services/controlplane/src/identity/rule.ts": 'import { row } from "../db/row.js";\nexport const rule = row;\n',
  "services/controlplane/src/lifecycle/wire.ts": 'import { m } from "../../../../gen/ts/wrenn/api/v1/sandbox.js";\nexport const w = m;\n',
  "gen/ts/wrenn/api/v1/sandbox.ts": "export const m = 1;\n",
  "services/envd/src/gen-user.ts": 'import { t } from "../../../gen/ts/google/protobuf/timestamp.js";\nexport const u = t;\n',
  "gen/ts/google/protobuf/timestamp.ts": "export const t = 1;\n",
};
const expected: Array<[string, string]> = [
  ["type-only import cycle", "no-circular"],
  ["host agent network/ importing runtime/", "hostagent-network-below-runtime"],
  ["controlplane lifecycle/ importing db/", "controlplane-domain-knows-no-edge"],
  ["controlplane identity/ importing db/", "controlplane-identity-knows-no-edge"],
  ["controlplane lifecycle/ importing wire types", "controlplane-domain-no-wire-types"],
  ["gen/ internals", "gen-through-its-entry"],
  ["relative path into gen/", "gen-by-package-name"],
];

function checkDepcruise(scratch: string): void {
  const treeDir = join(scratch, "tree");
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(treeDir, path)), { recursive: true });
    writeFileSync(join(treeDir, path), text);
  }
  const depcruise = join(root, "node_modules/.bin/depcruise");
  const args = ["services", "--config", join(root, ".dependency-cruiser.cjs"), "--output-type", "json"];
  // Exit status is the number of violations; the JSON on stdout is what counts.
  let out: string;
  try {
    out = execFileSync(depcruise, args, { cwd: treeDir, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  const violations = (JSON.parse(out) as { summary: { violations: Array<{ rule: { name: string } }> } }).summary.violations;
  const names = violations.map((v) => v.rule.name);
  for (const [what, rule] of expected) expectRule(what, names, rule);
}

const scratch = mkdtempSync(join(tmpdir(), "wrenn-lint-rules-"));
try {
  await checkEslint(scratch);
  checkDepcruise(scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`check-lint-rules: a rule no longer fires on its planted violation:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-lint-rules: each of ${checked} planted violations is reported by its rule`);
