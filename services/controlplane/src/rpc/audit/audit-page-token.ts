import { errors } from "@wrenn/shared";

/** The opaque page token of ListAuditLogs: base64url of the last entry's id. */
export function encodeAuditToken(lastId: string): string {
  return Buffer.from(lastId).toString("base64url");
}

/** The id to continue below; "" is the first page; anything this server did not issue is INVALID_ARGUMENT. */
export function decodeAuditToken(token: string): string | undefined {
  if (token === "") return undefined;
  const id = Buffer.from(token, "base64url").toString("utf8");
  if (!/^[1-9]\d{0,18}$/.test(id) || encodeAuditToken(id) !== token) {
    throw errors.invalidArgument("page_token is not one this server issued");
  }
  return id;
}
