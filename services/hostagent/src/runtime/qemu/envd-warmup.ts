import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { createEnvdConnection } from "../../envd/envd-connection.js";

const rounds = 3;

/**
 * Runs the calls every sandbox's first seconds make (Init, a command, file
 * calls) against a template's envd before it is snapshotted. Every clone
 * starts from that memory, so the code paths are already compiled by V8 there
 * instead of being interpreted for the first time under (slow, emulated) CPU.
 * The connection is closed and the guest given a moment to see the FIN before
 * the snapshot, so no connection from before it survives into clones.
 * Best effort: a failure is logged and the template is still taken.
 *
 * envd answers nothing but Init until Init set an access token, so the first
 * Init sets one; it is returned, recorded with the template, and presented
 * by each clone's first Init (which replaces it).
 */
export async function warmUpEnvd(target: string, logger: Logger, signal?: AbortSignal): Promise<string | undefined> {
  const started = performance.now();
  const envd = createEnvdConnection(target);
  const token = randomBytes(24).toString("base64url");
  let tokenSet = false;
  try {
    const processes = envd.client(ProcessServiceDefinition);
    const files = envd.client(FilesystemServiceDefinition);
    const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000);
    const options = { signal: deadline };
    for (let round = 0; round < rounds; round++) {
      // The first Init sets the token; the connection presents it from then on.
      await envd.init(
        { sandboxId: "template", templateId: "template", hostname: "wrenn", defaultUser: "", defaultWorkdir: "", envs: {}, nowUnixMs: Date.now(), accessToken: token, entropy: randomBytes(64) },
        deadline,
      );
      tokenSet = true;
      for await (const _ of processes.start({ process: { cmd: "true", args: [], envs: {} }, timeoutMs: 0 }, options)) {
        // Drain: the stream's end is the point.
      }
      const path = `/tmp/.wrenn-warmup-${round}`;
      await files.writeFile((async function* () {
        yield { path, data: Buffer.from("warm") };
      })(), options);
      for await (const _ of files.readFile({ path }, options)) {
        // Drain.
      }
      await files.stat({ path }, options);
      await files.listDir({ path: "/tmp", depth: 1 }, options);
      await files.remove({ path }, options);
    }
    logger.info({ ms: Math.round(performance.now() - started) }, "template envd warmed up");
  } catch (err) {
    logger.warn({ err }, "template envd warm-up failed; snapshotting anyway");
  } finally {
    envd.close();
  }
  await sleep(300, undefined, { signal });
  return tokenSet ? token : undefined;
}
