import { rootScript } from "./root-script.js";
import type { StepContext } from "./step-context.js";

// A new user gets a home, bash, and passwordless sudo like the image's wrenn-user.
const script = `set -e
if ! id -u "$1" >/dev/null 2>&1; then
  useradd -m -s /bin/bash -U "$1"
  printf '%s ALL=(ALL) NOPASSWD:ALL\\n' "$1" > "/etc/sudoers.d/$1"
  chmod 440 "/etc/sudoers.d/$1"
fi`;

/** USER: later steps (and the template's sandboxes) run as this user, created if missing. */
export async function userStep(ctx: StepContext, user: string): Promise<void> {
  await rootScript(ctx, `creating user ${user}`, script, [user]);
}
