import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ClientError, Status } from "nice-grpc";
import { parseRecipe, RecipeError } from "@wrenn/shared/recipe/recipe";
import { BuildStatus, type BuildServiceClient } from "@wrenn/gen/wrenn/api/v1/template.js";
import type { BuildArgs } from "./args.js";
import { BuildRenderer, type Output } from "./build-renderer.js";
import { buildRequests, uploadReporter } from "./upload.js";

/** Reconnects to a build's event stream after it breaks (a controlplane restart), at most this often. */
const maxWatchRetries = 5;

/**
 * `template build`: checks the recipe here first (a bad line fails before any
 * upload), streams spec + archive, then follows the build's events until it
 * ends. Returns the exit code: 0 when the template was made, 1 otherwise.
 * Ctrl-C cancels the build on the server, so nothing is left half made.
 */
export async function buildTemplate(client: BuildServiceClient, args: BuildArgs, cwd: string, out: Output, err: Output): Promise<number> {
  const recipePath = resolve(cwd, args.recipeFile);
  let recipe: string;
  try {
    recipe = readFileSync(recipePath, "utf8");
  } catch (e) {
    err.write(`error: cannot read the recipe ${recipePath}: ${(e as Error).message}\n`);
    return 1;
  }
  let steps: number;
  try {
    steps = parseRecipe(recipe).steps.length;
  } catch (e) {
    if (e instanceof RecipeError) {
      err.write(`error: ${args.recipeFile}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const archivePath = args.archive ? resolve(cwd, args.archive) : undefined;
  let archiveBytes = 0;
  if (archivePath) {
    try {
      archiveBytes = statSync(archivePath).size;
    } catch (e) {
      err.write(`error: cannot read the archive ${archivePath}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const spec = {
    name: args.name,
    recipe,
    vcpus: args.vcpus,
    memoryMib: args.memoryMib,
    diskMib: args.diskMib,
    platform: args.platform,
    stepTimeoutSeconds: args.stepTimeoutSeconds,
  };
  const progress = archivePath ? uploadReporter(out, archiveBytes) : undefined;
  const { build } = await client.createBuild(buildRequests(spec, archivePath, progress));
  if (!build) {
    err.write("error: the server answered without a build\n");
    return 1;
  }
  out.write(`Build ${build.buildId} for ${build.name}: ${build.stepsTotal || steps} steps\n`);
  const renderer = new BuildRenderer(out, build.stepsTotal || steps, recipe);
  const watching = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      process.exit(130); // a second Ctrl-C: do not wait for the cancel
    }
    interrupted = true;
    err.write("\nCancelling the build…\n");
    client.cancelBuild({ buildId: build.buildId }).catch((e: unknown) => err.write(`error: cancel failed: ${(e as Error).message}\n`));
  };
  process.on("SIGINT", onSigint);
  const ticker = setInterval(() => renderer.tick(), 1000);
  try {
    let afterSeq = 0;
    for (let attempt = 0; !renderer.outcome && attempt <= maxWatchRetries; attempt++) {
      try {
        for await (const { event } of client.watchBuild({ buildId: build.buildId, afterSeq }, { signal: watching.signal })) {
          if (!event) {
            continue;
          }
          afterSeq = Math.max(afterSeq, event.seq);
          renderer.handle(event);
          attempt = 0;
        }
      } catch (e) {
        if (!(e instanceof ClientError) || (e.code !== Status.UNAVAILABLE && e.code !== Status.INTERNAL)) {
          throw e;
        }
      }
      if (!renderer.outcome) {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    clearInterval(ticker);
    process.off("SIGINT", onSigint);
  }
  const outcome = renderer.outcome;
  if (!outcome) {
    err.write(`error: lost the build's progress; see it later with its id ${build.buildId}\n`);
    return 1;
  }
  if (outcome.status === BuildStatus.BUILD_STATUS_SUCCEEDED) {
    out.write(`template_id: ${outcome.templateId}\nname: ${outcome.templateName}\n`);
    return 0;
  }
  return interrupted ? 130 : 1;
}
