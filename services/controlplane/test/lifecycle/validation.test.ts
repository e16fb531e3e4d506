import { describe, expect, it } from "vitest";
import { Status } from "@wrenn/shared";
import { limits, validateCreateSandbox } from "../../src/lifecycle/validation.js";

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
      timeoutSeconds: 0,
      onExpiry: "kill",
      publicPorts: false,
      autoResume: false,
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

  it("takes a timeout and what to do when it runs out", () => {
    expect(validateCreateSandbox({ timeoutSeconds: 30, onExpiry: "pause" })).toMatchObject({ timeoutSeconds: 30, onExpiry: "pause" });
    expect(rejection({ onExpiry: "invalid" }).details).toBe("on_expiry must be EXPIRY_ACTION_KILL or EXPIRY_ACTION_PAUSE");
    expect(rejection({ timeoutSeconds: limits.timeoutSeconds + 1 }).code).toBe(Status.INVALID_ARGUMENT);
  });

  it("accepts egress policies and refuses bad ones, naming the entry", () => {
    expect(validateCreateSandbox({ egress: { mode: "allow-list", allowedCidrs: ["198.51.100.0/24", "0.0.0.0/0", "8.8.8.8/32"] } }).egress).toEqual({
      mode: "allow-list",
      allowedCidrs: ["198.51.100.0/24", "0.0.0.0/0", "8.8.8.8/32"],
    });
    // A bare address is one host (/32), as the host agent reads it; it is kept as written.
    expect(validateCreateSandbox({ egress: { mode: "allow-list", allowedCidrs: ["8.8.8.8"] } }).egress).toEqual({ mode: "allow-list", allowedCidrs: ["8.8.8.8"] });
    expect(validateCreateSandbox({ egress: { mode: "deny-all", allowedCidrs: [] } }).egress).toEqual({ mode: "deny-all", allowedCidrs: [] });
    expect(rejection({ egress: { mode: "invalid", allowedCidrs: [] } }).details).toMatch(/^egress.mode must be one of/);
    expect(rejection({ egress: { mode: "allow-list", allowedCidrs: ["10.0.0.0/8", "10.0.0.1/8"] } }).details).toBe(
      'egress.allowed_cidrs[1] "10.0.0.1/8" has host bits set (did you mean 10.0.0.0/8?)',
    );
    expect(rejection({ egress: { mode: "allow-list", allowedCidrs: ["example.com"] } }).details).toBe(
      'egress.allowed_cidrs[0] "example.com" is not an IPv4 CIDR like 198.51.100.0/24',
    );
    expect(rejection({ egress: { mode: "allow-list", allowedCidrs: ["300.1.1.0/24"] } }).details).toMatch(/invalid address/);
    expect(rejection({ egress: { mode: "allow-list", allowedCidrs: ["1.2.3.0/33"] } }).details).toMatch(/prefix length above 32/);
    expect(rejection({ egress: { mode: "allow-list", allowedCidrs: ["::1/128"] } }).code).toBe(Status.INVALID_ARGUMENT);
    const many = Array.from({ length: 257 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    expect(rejection({ egress: { mode: "allow-list", allowedCidrs: many } }).details).toBe("egress.allowed_cidrs may hold at most 256 entries, got 257");
    expect(rejection({ egress: { mode: "deny-all", allowedCidrs: ["10.0.0.0/8"] } }).details).toMatch(/only allowed with MODE_ALLOW_LIST/);
  });

  describe("adversarial input is INVALID_ARGUMENT with a message that can be sent", () => {
    const sendable = (text: string) => encodeURI(text).length > 0;

    it("a huge metadata map", () => {
      const huge = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, "v"]));
      expect(rejection({ metadata: huge }).details).toBe(`metadata may hold at most ${limits.metadataEntries} entries, got 100000`);
    });

    it("NUL, astral characters and lone surrogates in env names and metadata keys", () => {
      for (const key of ["A\u0000B", "𝑻".repeat(40), "a\uD835", "\uDC7B", "x".repeat(1024 * 1024)]) {
        const env = rejection({ envs: { [key]: "v" } });
        expect(env.code).toBe(Status.INVALID_ARGUMENT);
        expect(sendable(env.details)).toBe(true);
        expect(env.details.length).toBeLessThan(400);
        const meta = rejection({ metadata: { [key]: "v" } });
        expect(meta.code).toBe(Status.INVALID_ARGUMENT);
        expect(sendable(meta.details)).toBe(true);
      }
      expect(rejection({ envs: { "A\u0000B": "v" } }).details).toMatch(/^envs name "A\\u0000B" must be a shell variable name/);
    });

    it("lone surrogates in values (only a JSON body can carry them)", () => {
      expect(rejection({ metadata: { owner: "a\uD800" } }).details).toBe('metadata value for "owner" must be valid Unicode text');
      expect(rejection({ envs: { TOKEN: "\uDFFFx" } }).details).toBe("envs value of TOKEN must be valid Unicode text");
      expect(validateCreateSandbox({ metadata: { owner: "𝑻" } }).metadata).toEqual({ owner: "𝑻" });
    });

    it("a template id of astral characters cut at 64 units", () => {
      const err = rejection({ templateId: "a" + "𝑻".repeat(31) });
      expect(sendable(err.details)).toBe(true);
      expect(err.details).toContain(`got "a${"𝑻".repeat(31)}"`);
    });
  });
});
