import { describe, expect, it } from "vitest";
import { parseTemplateArgs, UsageError } from "../src/args.js";

const usageError = (argv: string[]) => {
  try {
    parseTemplateArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("parsed");
};

describe("parseTemplateArgs", () => {
  it("reads a full build command line, in either flag form", () => {
    expect(
      parseTemplateArgs(["build", "-f", "Recipe", "--name=web:v1", "--archive", "app.tar.gz", "--vcpus", "2", "--memory-mib=2048", "--disk-mib", "4096", "--platform", "--step-timeout", "30"]),
    ).toEqual({
      command: "build",
      recipeFile: "Recipe",
      name: "web:v1",
      archive: "app.tar.gz",
      vcpus: 2,
      memoryMib: 2048,
      diskMib: 4096,
      platform: true,
      stepTimeoutSeconds: 30,
    });
  });

  it("leaves sizes at 0 (the FROM template's) when not given", () => {
    const args = parseTemplateArgs(["build", "-f", "R", "--name", "x"]);
    expect(args).toMatchObject({ vcpus: 0, memoryMib: 0, diskMib: 0, platform: false });
    expect(args).not.toHaveProperty("archive");
  });

  it("knows list and help", () => {
    expect(parseTemplateArgs(["list"])).toEqual({ command: "list" });
    expect(parseTemplateArgs([])).toEqual({ command: "help" });
    expect(parseTemplateArgs(["--help"])).toEqual({ command: "help" });
  });

  it("says what is wrong with a bad command line", () => {
    expect(usageError(["build", "--name", "x"])).toBe("template build needs -f <recipe>");
    expect(usageError(["build", "-f", "R"])).toBe("template build needs --name <name[:tag]>");
    expect(usageError(["build", "-f"])).toBe("-f needs a value");
    expect(usageError(["build", "-f", "R", "--name", "x", "--vcpus", "two"])).toBe('--vcpus needs a positive whole number, got "two"');
    expect(usageError(["build", "-f", "R", "--name", "x", "--memory-mib=0"])).toMatch(/--memory-mib needs a positive/);
    expect(usageError(["build", "--bogus"])).toBe('unknown option "--bogus" for template build');
    expect(usageError(["remove"])).toBe('unknown template command "remove" (known: build, list)');
    expect(usageError(["list", "extra"])).toMatch(/takes no arguments/);
  });
});
