import { timingSafeEqual, createHash } from "node:crypto";
import type { ServerMiddleware } from "nice-grpc";
import { errors } from "@wrenn/shared";

/** The token Init set; until then envd is open (the host agent is its only peer). */
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
      if (!digest) return true;
      if (presented === undefined) return false;
      return timingSafeEqual(digest, hash(presented));
    },
  };
}

export const accessTokenHeader = "x-access-token";

/** Guards one service: with a token set, calls must carry it in `x-access-token`. */
export function accessTokenMiddleware(token: AccessToken): ServerMiddleware {
  return async function* checkToken(call, context) {
    if (token.isSet && !token.matches(context.metadata.get(accessTokenHeader))) {
      throw errors.unauthenticated(`missing or wrong ${accessTokenHeader}`);
    }
    return yield* call.next(call.request, context);
  };
}
