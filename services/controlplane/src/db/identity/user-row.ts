import { sql } from "slonik";
import { z } from "zod";
import type { UserRecord } from "../../identity/identity-store.js";

/** A users row as the identity store hands it out (timestamps come as epoch milliseconds). */
export const userRow = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    display_name: z.string(),
    password_hash: z.string().nullable(),
    is_admin: z.boolean(),
    deactivated_at: z.number().nullable(),
    deleted_at: z.number().nullable(),
    created_at: z.number(),
  })
  .transform(
    (row): UserRecord => ({
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      passwordHash: row.password_hash,
      isAdmin: row.is_admin,
      deactivatedAt: row.deactivated_at === null ? null : new Date(row.deactivated_at),
      deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at),
      createdAt: new Date(row.created_at),
    }),
  );

/** The columns userRow reads, qualified by `alias` so a join can name them. */
export function userColumns(alias = "users") {
  const t = sql.identifier([alias]);
  return sql.fragment`${t}.id, ${t}.email, ${t}.display_name, ${t}.password_hash, ${t}.is_admin, ${t}.deactivated_at,
    ${t}.deleted_at, ${t}.created_at`;
}
