import { rootScript } from "./root-script.js";
import type { StepContext } from "./step-context.js";

// Each missing level is made and given to the user; existing ones are left as they are.
const script = `set -e
dir="$1"; owner="$2"; path=""
set -f; IFS=/
for part in $dir; do
  [ -n "$part" ] || continue
  path="$path/$part"
  if [ ! -d "$path" ]; then mkdir "$path"; chown "$owner": "$path"; fi
done`;

/** WORKDIR: the directory (already resolved against the previous one) exists afterwards. */
export async function workdirStep(ctx: StepContext, dir: string): Promise<void> {
  await rootScript(ctx, `creating ${dir}`, script, [dir, ctx.vars.user]);
}
