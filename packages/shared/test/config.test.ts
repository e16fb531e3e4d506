import { describe, expect, it } from "vitest";
import { loadConfig, z } from "../src/config.js";

// The shape every service's config.ts uses: defaults, coercion from strings,
// preprocessing, enums, custom transforms.
const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  URL: z.preprocess((value) => (value === "" ? undefined : value), z.string().url().optional()),
  LEVEL: z.enum(["info", "debug"]).default("info"),
  NAME: z
    .string()
    .default("wrenn")
    .transform((value, ctx) => {
      if (value.includes(" ")) {
        ctx.addIssue({ code: "custom", message: `no spaces, got "${value}"` });
        return z.NEVER;
      }
      return value.toUpperCase();
    }),
});

describe("loadConfig", () => {
  it("applies defaults and reads values from their string form", () => {
    expect(loadConfig(schema, {})).toEqual({ PORT: 8080, URL: undefined, LEVEL: "info", NAME: "WRENN" });
    expect(loadConfig(schema, { PORT: "50051", URL: "redis://127.0.0.1:6379", LEVEL: "debug", NAME: "cp" })).toEqual({
      PORT: 50051,
      URL: "redis://127.0.0.1:6379",
      LEVEL: "debug",
      NAME: "CP",
    });
    expect(loadConfig(schema, { URL: "" }).URL).toBeUndefined();
  });

  it("refuses a bad environment with one line naming each bad variable", () => {
    const env = { PORT: "70000", URL: "not a url", LEVEL: "loud", NAME: "two words" };
    let message = "";
    try {
      loadConfig(schema, env);
    } catch (err) {
      message = (err as Error).message;
    }
    const lines = message.split("\n");
    expect(lines[0]).toBe("invalid configuration:");
    expect(lines.slice(1).map((line) => line.trim().split(":")[0]).sort()).toEqual(["LEVEL", "NAME", "PORT", "URL"]);
    expect(message).toContain('NAME: no spaces, got "two words"');
  });
});
