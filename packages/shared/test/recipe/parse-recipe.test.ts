import { describe, expect, it } from "vitest";
import { maxRecipeBytes, maxRecipeSteps, parseRecipe, RecipeError } from "../../src/recipe/recipe.js";

/** The error parseRecipe throws for a text (fails the test when it parses). */
function errorOf(text: string): RecipeError {
  try {
    parseRecipe(text);
  } catch (err) {
    expect(err).toBeInstanceOf(RecipeError);
    return err as RecipeError;
  }
  throw new Error("the recipe parsed");
}

describe("parseRecipe", () => {
  it("parses every instruction, keeping each one's line and text", () => {
    const recipe = parseRecipe(
      [
        "# a web server",
        "FROM base:small",
        "",
        "USER root",
        "RUN apt-get update && \\",
        "    apt-get install -y curl",
        "WORKDIR /srv/app",
        'ENV PORT=8080 GREETING="hello world" EMPTY=',
        "COPY app/ config.json ./",
        "start python3 -m http.server 8080",
        "READY curl -sf http://127.0.0.1:8080/",
      ].join("\n"),
    );
    expect(recipe.from).toEqual({ line: 2, text: "FROM base:small", template: "base:small" });
    expect(recipe.steps).toEqual([
      { line: 4, text: "USER root", kind: "USER", user: "root" },
      {
        line: 5,
        text: "RUN apt-get update && apt-get install -y curl",
        kind: "RUN",
        command: "apt-get update && apt-get install -y curl",
      },
      { line: 7, text: "WORKDIR /srv/app", kind: "WORKDIR", dir: "/srv/app" },
      {
        line: 8,
        text: 'ENV PORT=8080 GREETING="hello world" EMPTY=',
        kind: "ENV",
        vars: { PORT: "8080", GREETING: "hello world", EMPTY: "" },
      },
      { line: 9, text: "COPY app/ config.json ./", kind: "COPY", sources: ["app/", "config.json"], destination: "./" },
      { line: 10, text: "start python3 -m http.server 8080", kind: "START", command: "python3 -m http.server 8080" },
      { line: 11, text: "READY curl -sf http://127.0.0.1:8080/", kind: "READY", command: "curl -sf http://127.0.0.1:8080/" },
    ]);
  });

  it("has no FROM when the recipe names none, and accepts CRLF line ends and a BOM", () => {
    const recipe = parseRecipe("\uFEFFRUN true\r\nRUN false\r\n");
    expect(recipe.from).toBeUndefined();
    expect(recipe.steps.map((s) => [s.line, s.kind])).toEqual([
      [1, "RUN"],
      [2, "RUN"],
    ]);
  });

  it("accepts tpl- ids and plain names in FROM", () => {
    expect(parseRecipe(`FROM tpl-${"a".repeat(32)}`).from?.template).toBe(`tpl-${"a".repeat(32)}`);
    expect(parseRecipe("FROM my-app").from?.template).toBe("my-app");
  });

  it("reads quoted ENV values with escapes and quoted COPY paths", () => {
    const recipe = parseRecipe('ENV A="say \\"hi\\"" B=x=y\nCOPY "my file.txt" "/opt/a dir/"');
    expect(recipe.steps[0]).toMatchObject({ vars: { A: 'say "hi"', B: "x=y" } });
    expect(recipe.steps[1]).toMatchObject({ sources: ["my file.txt"], destination: "/opt/a dir/" });
  });

  it("names an unknown instruction and lists the known ones", () => {
    const err = errorOf("RUN true\nEXPOSE 80");
    expect(err.line).toBe(2);
    expect(err.message).toBe('line 2: unknown instruction "EXPOSE" (known: FROM, RUN, START, READY, USER, COPY, ENV, WORKDIR)');
  });

  it("refuses an instruction without its argument", () => {
    for (const name of ["RUN", "START", "USER", "WORKDIR", "ENV", "FROM", "COPY"]) {
      const err = errorOf(`# first\n${name}   `);
      expect(err.line).toBe(2);
      expect(err.message).toMatch(new RegExp(`^line 2: ${name} needs an argument`));
    }
  });

  it("refuses COPY with fewer than two arguments", () => {
    expect(errorOf("COPY onlyone").message).toBe(
      "line 1: COPY needs at least two arguments: one or more sources, then a destination",
    );
  });

  it("refuses bad ENV keys and pairs", () => {
    expect(errorOf("ENV 1A=x").message).toMatch(/^line 1: ENV key "1A" is not valid/);
    expect(errorOf("ENV A-B=x").message).toMatch(/^line 1: ENV key "A-B"/);
    expect(errorOf("ENV =x").message).toMatch(/^line 1: ENV key ""/);
    expect(errorOf("ENV FOO bar").message).toBe('line 1: ENV expects KEY=VALUE pairs, got "FOO"');
    expect(errorOf('ENV A="open').message).toBe("line 1: a double quote is not closed");
  });

  it("refuses READY that does not follow a START", () => {
    expect(errorOf("READY true").line).toBe(1);
    const err = errorOf("START server\nRUN true\nREADY true");
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/READY must come right after a START/);
  });

  it("refuses FROM after another instruction, and a second FROM", () => {
    expect(errorOf("RUN true\nFROM base").message).toBe("line 2: FROM must be the first instruction");
    expect(errorOf("FROM base\nFROM base").message).toBe("line 2: FROM may appear only once");
    expect(errorOf("FROM Base!").message).toMatch(/^line 1: FROM "Base!" is not a template reference/);
    expect(errorOf("FROM a b").message).toMatch(/^line 1: FROM takes exactly one argument/);
  });

  it("refuses a bad user name and a WORKDIR with two arguments", () => {
    expect(errorOf("USER Bad:Name").message).toMatch(/^line 1: USER "Bad:Name" is not a valid user name/);
    expect(errorOf("WORKDIR /a /b").message).toMatch(/^line 1: WORKDIR takes exactly one argument/);
  });

  it("refuses a recipe over the size limit and one with too many steps", () => {
    expect(errorOf("#".repeat(maxRecipeBytes + 1)).message).toBe("line 1: the recipe is larger than 64 KiB");
    expect(() => parseRecipe("#".repeat(maxRecipeBytes))).not.toThrow();
    const steps = Array.from({ length: maxRecipeSteps }, () => "RUN true");
    expect(parseRecipe(["FROM base", ...steps].join("\n")).steps).toHaveLength(maxRecipeSteps);
    const err = errorOf([...steps, "RUN one-too-many"].join("\n"));
    expect(err.line).toBe(maxRecipeSteps + 1);
    expect(err.message).toMatch(/at most 256 steps/);
  });

  it("refuses NUL, control characters and lone surrogates, naming their line", () => {
    expect(errorOf("RUN true\nRUN a\u0000b").message).toBe(
      "line 2: the line holds a NUL character, which a recipe may not contain",
    );
    expect(errorOf("RUN \u001b[31m").message).toMatch(/^line 1: the line holds a U\+001B character/);
    expect(errorOf("RUN x\rRUN y").message).toMatch(/U\+000D/);
    expect(errorOf("RUN \uD800").message).toMatch(/^line 1: the line holds an invalid character/);
    // Tabs and non-ASCII text are fine.
    expect(parseRecipe("RUN\techo größe 🐳").steps[0]).toMatchObject({ command: "echo größe 🐳" });
  });

  it("skips comment lines inside a continuation and ends a dangling one at the end", () => {
    const recipe = parseRecipe("RUN a \\\n# note\n  b\nRUN c \\");
    expect(recipe.steps.map((s) => s.text)).toEqual(["RUN a b", "RUN c"]);
  });
});
