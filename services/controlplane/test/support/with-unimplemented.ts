import { ServerError, Status } from "nice-grpc";

/**
 * Completes a test double's partial implementation: every method of the
 * definition it does not implement answers UNIMPLEMENTED, so the fake keeps
 * compiling and serving as envd's contract grows.
 */
export function withUnimplemented<Impl extends object>(
  definition: { methods: Record<string, { requestStream: boolean; responseStream: boolean }> },
  partial: Partial<Impl>,
): Impl {
  const full: Record<string, unknown> = { ...partial };
  for (const [name, method] of Object.entries(definition.methods)) {
    if (name in full) continue;
    const refuse = () => new ServerError(Status.UNIMPLEMENTED, `${name} is not implemented by this test double`);
    full[name] = method.responseStream
      ? async function* () {
          throw refuse();
        }
      : async () => {
          throw refuse();
        };
  }
  return full as Impl;
}
