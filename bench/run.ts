/**
 * Benchmark dispatcher: `npm run bench [-- suite…]`.
 *
 * Every `bench/<name>.bench.ts` registers one suite by exporting `suite`
 * (see BenchSuite). Without arguments every suite runs; otherwise the named
 * ones, in the order given. Results are printed as `suite metric value unit`
 * lines so they can be grepped or compared between runs.
 */
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchSuite } from "./suite.js";

const here = dirname(fileURLToPath(import.meta.url));

async function loadSuites(): Promise<Map<string, BenchSuite>> {
  const suites = new Map<string, BenchSuite>();
  for (const file of readdirSync(here).filter((f) => f.endsWith(".bench.ts")).sort()) {
    const mod = (await import(pathToFileURL(`${here}/${file}`).href)) as { suite?: BenchSuite };
    if (!mod.suite) throw new Error(`${file} does not export a suite`);
    suites.set(mod.suite.name, mod.suite);
  }
  return suites;
}

const suites = await loadSuites();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
if (process.argv.includes("--list")) {
  for (const s of suites.values()) console.log(`${s.name}\t${s.description}`);
  process.exit(0);
}
const unknown = wanted.filter((w) => !suites.has(w));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(", ")}; available: ${[...suites.keys()].join(", ")}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : [...suites.keys()]) {
  const suite = suites.get(name)!;
  console.log(`# ${suite.name}: ${suite.description}`);
  await suite.run((metric, value, unit) => console.log(`${suite.name}\t${metric}\t${value.toFixed(2)}\t${unit}`));
}
