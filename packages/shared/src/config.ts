// zod 3.25 ships the v4 API under "zod/v4"; slonik (controlplane) needs zod 3,
// so the tree holds one major. Switch to "zod" when slonik moves to zod 4.
import { z } from "zod/v4";

export { z };

/**
 * Parses configuration from environment variables with a zod schema, and
 * fails at start with one clear line per bad variable instead of later.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(env)"}: ${issue.message}`);
  throw new Error(`invalid configuration:\n${problems.join("\n")}`);
}
