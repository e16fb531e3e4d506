import { timingSafeEqual, createHash } from "node:crypto";
import type { ServerMiddleware } from "nice-grpc";
import { errors, accessTokenMetadataKey } from "@wrenn/shared";

/** The token Init set; until then envd answers nothing but Init. */
export interface AccessToken {
  readonly isSet: boolean;
  set(token: string): void;
  matches(presented: string | undefined): boolean;
}

export function createAccessToken(): AccessToken {
  let digest: Buffer | undefined;
  // Compare digests so the comparison takes the same time whatever the lengths.
  const hash = (s: string) => createHash("sha256").update(s).digest();
  return {
    get isSet() {
      return digest !== undefined;
    },
    set(token) {
      digest = hash(token);
    },
    matches(presented) {
      if (!digest || presented === undefined) return false;
      return timingSafeEqual(digest, hash(presented));
    },
  };
}

/** The one call envd answers before it has a token: the host agent's first Init sets it. */
export const initMethodPath = "/wrenn.envd.v1.EnvdService/Init";

/**
 * Guards one service. Until Init set a token every call but Init is refused
 * (a fresh or restored envd trusts no one yet); after that every call must
 * carry the token in `x-access-token`, a later Init included.
 */
export function accessTokenMiddleware(token: AccessToken): ServerMiddleware {
  return async function* checkToken(call, context) {
    if (!token.isSet) {
      if (call.method.path !== initMethodPath) {
        throw errors.unauthenticated("envd is not initialised: no access token is set yet, and only the host agent's Init is accepted until then");
      }
    } else if (!token.matches(context.metadata.get(accessTokenMetadataKey))) {
      throw errors.unauthenticated(`missing or wrong ${accessTokenMetadataKey}`);
    }
    return yield* call.next(call.request, context);
  };
}
