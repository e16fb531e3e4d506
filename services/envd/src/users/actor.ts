import { errors } from "@wrenn/shared";
import type { MetadataStore } from "../metadata/store.js";
import type { User, UserDb } from "./user-db.js";

/** Resolves who an operation acts as: the named user, or the sandbox's default user. */
export type ActorResolver = (requested: string | undefined) => User;

export function createActorResolver(users: UserDb, metadata: MetadataStore): ActorResolver {
  return (requested) => {
    const name = requested && requested.length > 0 ? requested : metadata.get().defaultUser;
    const user = users.snapshot().byName(name);
    if (!user) throw errors.invalidArgument(`unknown user "${name}": not in /etc/passwd`);
    return user;
  };
}
