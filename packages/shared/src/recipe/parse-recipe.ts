import { logicalLines, type LogicalLine } from "./recipe-lines.js";
import { splitWords } from "./recipe-words.js";
import { RecipeError, type Recipe, type RecipeStep } from "./recipe-types.js";

/** Most steps a recipe may have: each one may be a checkpoint on the host. */
export const maxRecipeSteps = 256;

const instructions = ["FROM", "RUN", "START", "READY", "USER", "COPY", "ENV", "WORKDIR"] as const;
type Instruction = (typeof instructions)[number];

// The public template reference forms (see ids in the design): tpl-<32 hex>, name, name:tag.
const templateRef = /^(tpl-[0-9a-f]{32}|[a-z0-9][a-z0-9._-]{0,62}(:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?)$/;
// A Linux user name useradd accepts without --badname.
const userName = /^[a-z_][a-z0-9_-]{0,31}$/;
const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a recipe (see recipe.ts). Throws RecipeError naming the first bad
 * line; a recipe that parses is one the host agent can run step by step.
 */
export function parseRecipe(text: string): Recipe {
  const recipe: Recipe = { steps: [] };
  let seenInstruction = false;
  for (const logical of logicalLines(text)) {
    const { name, args } = splitInstruction(logical);
    if (name === "FROM") {
      if (seenInstruction) {
        throw new RecipeError(
          logical.line,
          recipe.from ? "FROM may appear only once" : "FROM must be the first instruction",
        );
      }
      recipe.from = { line: logical.line, text: logical.text, template: parseFrom(args, logical.line) };
    } else {
      if (recipe.steps.length >= maxRecipeSteps) {
        throw new RecipeError(logical.line, `a recipe may have at most ${maxRecipeSteps} steps`);
      }
      const step = parseStep(name, args, logical);
      if (step.kind === "READY" && recipe.steps.at(-1)?.kind !== "START") {
        throw new RecipeError(logical.line, "READY must come right after a START (it checks that START's process is ready)");
      }
      recipe.steps.push(step);
    }
    seenInstruction = true;
  }
  return recipe;
}

function splitInstruction(logical: LogicalLine): { name: Instruction; args: string } {
  const match = /^(\S+)\s*(.*)$/.exec(logical.text);
  const word = match?.[1] ?? "";
  const upper = word.toUpperCase();
  if (!(instructions as readonly string[]).includes(upper)) {
    const shown = word.length > 40 ? `${word.slice(0, 40)}…` : word;
    throw new RecipeError(logical.line, `unknown instruction "${shown}" (known: ${instructions.join(", ")})`);
  }
  return { name: upper as Instruction, args: (match?.[2] ?? "").trim() };
}

function required(name: Instruction, args: string, line: number, what: string): string {
  if (args === "") {
    throw new RecipeError(line, `${name} needs an argument: ${what}`);
  }
  return args;
}

function single(name: Instruction, args: string, line: number, what: string): string {
  const words = splitWords(required(name, args, line, what), line);
  if (words.length !== 1 || words[0] === "") {
    throw new RecipeError(line, `${name} takes exactly one argument: ${what}`);
  }
  return words[0];
}

function parseFrom(args: string, line: number): string {
  const ref = single("FROM", args, line, "a template (name, name:tag or tpl-…)");
  if (!templateRef.test(ref)) {
    throw new RecipeError(line, `FROM "${ref}" is not a template reference (name, name:tag or tpl-<32 hex>)`);
  }
  return ref;
}

function parseStep(name: Exclude<Instruction, "FROM">, args: string, logical: LogicalLine): RecipeStep {
  const { line, text } = logical;
  switch (name) {
    case "RUN":
    case "START":
    case "READY":
      return { line, text, kind: name, command: required(name, args, line, "a shell command") };
    case "USER": {
      const user = single(name, args, line, "a user name");
      if (!userName.test(user)) {
        throw new RecipeError(line, `USER "${user}" is not a valid user name (lowercase letters, digits, "_" and "-", at most 32)`);
      }
      return { line, text, kind: "USER", user };
    }
    case "WORKDIR":
      return { line, text, kind: "WORKDIR", dir: single(name, args, line, "a directory") };
    case "COPY": {
      const words = splitWords(required(name, args, line, "sources and a destination"), line);
      if (words.length < 2) {
        throw new RecipeError(line, "COPY needs at least two arguments: one or more sources, then a destination");
      }
      if (words.some((w) => w === "")) {
        throw new RecipeError(line, "COPY arguments may not be empty");
      }
      return { line, text, kind: "COPY", sources: words.slice(0, -1), destination: words[words.length - 1] };
    }
    case "ENV":
      return { line, text, kind: "ENV", vars: parseEnv(required(name, args, line, "KEY=VALUE pairs"), line) };
  }
}

function parseEnv(args: string, line: number): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const word of splitWords(args, line)) {
    const eq = word.indexOf("=");
    if (eq < 0) {
      throw new RecipeError(line, `ENV expects KEY=VALUE pairs, got "${word}"`);
    }
    const key = word.slice(0, eq);
    if (!envKey.test(key)) {
      throw new RecipeError(line, `ENV key "${key}" is not valid (letters, digits and "_", not starting with a digit)`);
    }
    vars[key] = word.slice(eq + 1);
  }
  return vars;
}
