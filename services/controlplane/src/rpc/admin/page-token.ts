import { errors } from "@wrenn/shared";
import type { ListCursor } from "../../identity/admin-store.js";

const maxPageSize = 500;
const defaultPageSize = 100;

/** page_size as the list RPCs read it: 0 is 100, more than 500 is refused. */
export function pageSizeOf(requested: number): number {
  if (requested > maxPageSize) throw errors.invalidArgument(`page_size must be at most ${maxPageSize}`);
  return requested === 0 ? defaultPageSize : requested;
}

const cursorText = /^(\d{1,20})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** An opaque token for a keyset position: base64url of "<created_at µs>.<uuid>". */
export function encodeCursor(cursor: ListCursor | null): string {
  return cursor ? Buffer.from(`${cursor.createdAtMicros}.${cursor.id}`).toString("base64url") : "";
}

/** "" is the first page; anything this server did not issue is INVALID_ARGUMENT. */
export function decodeCursor(token: string): ListCursor | null {
  if (token === "") return null;
  const match = cursorText.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match?.[1] || !match[2] || encodeCursor({ createdAtMicros: match[1], id: match[2] }) !== token) {
    throw errors.invalidArgument("page_token is not one this server issued");
  }
  return { createdAtMicros: match[1], id: match[2] };
}
