import { parseShape, type Shape } from "./json-shape.js";

/** One command of a README shell block, with what the README says comes back. */
export interface ReadmeStep {
  /** The command as written (continuation lines joined, comments kept for bash to drop). */
  command: string;
  /** The HTTP status the README shows (a number before the JSON), else 200. */
  status: number;
  /** The JSON lines shown after it, in order. */
  output: Shape[];
  /** Plain text shown after it instead (a downloaded file, a page through the proxy): the output, line by line. */
  text: string[];
  /** Text the README says the output bytes (base64 stdout or pty) contain: quoted in the prose after a line. */
  outputContains: string[];
  /** `SB=…`: the user pastes the sandboxId from the previous answer here. */
  setsSandbox: boolean;
  /** `export WRENN_API_KEY=…`: reads the API key for the calls after it (no HTTP call of its own). */
  setsKey: boolean;
}

/** The ```sh blocks of one README section ("## With curl" up to the next "## "). */
export function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section in the README`);
  const next = readme.indexOf("\n## ", start + 3);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Splits blocks into commands and the `# ` output lines under each. */
export function readmeSteps(blocks: string[]): ReadmeStep[] {
  const steps: ReadmeStep[] = [];
  for (const block of blocks) {
    let pending = "";
    for (const line of block.split("\n")) {
      if (!pending && line.startsWith("#")) {
        const step = steps.at(-1);
        if (!step) throw new Error(`output line before any command: ${line}`);
        const shown = line.replace(/^#\s?/, "");
        const json = shown.indexOf("{");
        // A line without JSON is the output as text (a download, a proxied page).
        if (json < 0) {
          step.text.push(shown);
          continue;
        }
        const status = /^(\d{3})\s/.exec(shown.slice(0, json));
        if (status && step.output.length === 0) step.status = Number(status[1]);
        const { shape, rest } = parseShape(shown.slice(json));
        step.output.push(shape);
        for (const quoted of rest.matchAll(/"([^"]+)"/g)) step.outputContains.push(quoted[1]);
        continue;
      }
      if (!pending && !line.trim()) continue;
      pending = pending ? `${pending}\n${line}` : line;
      if (incomplete(pending)) continue;
      steps.push({ command: pending, status: 200, output: [], text: [], outputContains: [], setsSandbox: /^SB=/.test(pending), setsKey: /^export WRENN_API_KEY=/.test(pending) });
      pending = "";
    }
    if (pending) throw new Error(`unfinished command in a README block: ${pending}`);
  }
  return steps;
}

/** A command continues on the next line after a trailing backslash or inside an open single-quoted string. */
function incomplete(command: string): boolean {
  if (/\\$/.test(command)) return true;
  let quoted = false;
  let double = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quoted) {
      if (c === "'") quoted = false;
    } else if (c === "\\") i++;
    else if (c === '"') double = !double;
    else if (c === "'" && !double) quoted = true;
    else if (c === "#" && !double && (i === 0 || /\s/.test(command[i - 1]))) {
      // A comment runs to the end of its line.
      const end = command.indexOf("\n", i);
      if (end < 0) break;
      i = end;
    }
  }
  return quoted || double;
}
