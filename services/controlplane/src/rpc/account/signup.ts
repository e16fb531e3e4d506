import type { SignupRequest, SignupResponse } from "@wrenn/gen/wrenn/api/v1/account.js";
import { errors } from "@wrenn/shared";
import { checkedEmail } from "../../identity/email.js";
import type { UserStore } from "../../identity/identity-store.js";
import { checkPasswordRules, hashPassword } from "../../identity/password.js";
import { requireStorableName } from "../../identity/stored-name.js";
import { teamToApi } from "../team/to-api.js";
import { userToApi } from "./user-to-api.js";

/**
 * Needs no credential (the auth hook lets it through): makes the user, with
 * an argon2id hash of the password, and the personal team they own, in one
 * transaction. The email is stored lower-cased; a taken one is ALREADY_EXISTS.
 */
export function signupHandler(users: UserStore) {
  return async function signup(request: SignupRequest): Promise<SignupResponse> {
    const email = checkedEmail(request.email);
    checkPasswordRules(request.password);
    const displayName = request.displayName.trim();
    if ([...displayName].length > 200) throw errors.invalidArgument("display_name must be at most 200 characters");
    requireStorableName(displayName, "display_name");
    const created = await users.createWithPersonalTeam({ email, displayName, passwordHash: await hashPassword(request.password) });
    if (!created) throw errors.alreadyExists("an account with this email already exists");
    return { user: userToApi(created.user), team: teamToApi(created.team, "owner") };
  };
}
