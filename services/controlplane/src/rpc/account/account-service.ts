import type { AccountServiceImplementation } from "@wrenn/gen/wrenn/api/v1/account.js";
import type { TeamStore, UserStore } from "../../identity/identity-store.js";
import type { RequestAttributes } from "../../request-attributes.js";
import { signupHandler } from "./signup.js";
import { whoAmIHandler } from "./who-am-i.js";

/** wrenn.api.v1.AccountService: Signup (open) and WhoAmI. */
export function createAccountService(users: UserStore, teams: TeamStore): AccountServiceImplementation<{ attributes: RequestAttributes }> {
  return {
    signup: signupHandler(users),
    whoAmI: whoAmIHandler(users, teams),
  };
}
