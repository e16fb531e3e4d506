import { describe, expect, it } from "vitest";
import { Status } from "@wrenn/shared";
import { limits, validateCreateSandbox } from "./validation.js";

function rejection(input: Parameters<typeof validateCreateSandbox>[0]): { code: number; details: string } {
  try {
    validateCreateSandbox(input);
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error("expected the input to be rejected");
}

describe("create sandbox validation", () => {
  it("defaults the template to base and keeps metadata and envs", () => {
    expect(validateCreateSandbox({ templateId: "", metadata: { team: "a" }, envs: { FOO: "bar" } })).toEqual({
      templateId: "base",
      metadata: { team: "a" },
      envs: { FOO: "bar" },
    });
    expect(validateCreateSandbox({}).templateId).toBe("base");
  });

  it("accepts template ids of letters, digits, dots, dashes and underscores", () => {
    expect(validateCreateSandbox({ templateId: "python-3.12_slim" }).templateId).toBe("python-3.12_slim");
  });

  it.each([["../etc"], ["has space"], ["-leading-dash"], ["a/b"], ["é"]])("rejects template id %j", (templateId) => {
    const err = rejection({ templateId });
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^template_id must start with a letter or digit/);
  });

  it("rejects a template id that is too long", () => {
    const err = rejection({ templateId: "a".repeat(limits.templateIdLength + 1) });
    expect(err.details).toBe(`template_id must be at most ${limits.templateIdLength} characters`);
  });

  it("rejects too many metadata entries and oversized values", () => {
    const many = Object.fromEntries(Array.from({ length: limits.metadataEntries + 1 }, (_, i) => [`k${i}`, "v"]));
    expect(rejection({ metadata: many }).details).toBe(`metadata may hold at most ${limits.metadataEntries} entries, got 65`);
    expect(rejection({ metadata: { big: "x".repeat(limits.metadataValueLength + 1) } }).details).toBe(
      `metadata value for "big" must be at most ${limits.metadataValueLength} characters`,
    );
    expect(rejection({ metadata: { "": "v" } }).details).toMatch(/^metadata key "" must be/);
  });

  it("rejects env names that are not shell variable names", () => {
    expect(rejection({ envs: { "1ABC": "x" } }).details).toMatch(/^envs name "1ABC" must be a shell variable name/);
    expect(rejection({ envs: { "A-B": "x" } }).code).toBe(Status.INVALID_ARGUMENT);
  });

  it("never echoes an env value in its message", () => {
    const secret = "sk-live-" + "s".repeat(limits.envValueLength);
    const err = rejection({ envs: { API_KEY: secret } });
    expect(err.details).toBe(`envs value of API_KEY must be at most ${limits.envValueLength} bytes`);
    expect(err.details).not.toContain("sk-live");
  });

  it("rejects envs whose total size is too big", () => {
    const envs = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`V${i}`, "x".repeat(30 * 1024)]));
    expect(rejection({ envs }).details).toMatch(/^envs must total at most 262144 bytes, got \d+$/);
  });
});
