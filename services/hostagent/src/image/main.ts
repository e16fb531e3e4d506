// `npm run image`: builds (or finds cached) the guest image and prints its directory.
import { createLogger } from "@wrenn/shared";
import { buildImage } from "./build-image.js";
import { loadImageConfig } from "./image-config.js";
import { createProgress } from "./progress.js";
import { SizeParseError } from "./size.js";

const logger = createLogger("image");
try {
  if (process.getuid?.() !== 0) throw new Error("building the guest image needs root (debootstrap, chroot, file ownership)");
  const config = loadImageConfig();
  const image = await buildImage({ ...config, progress: createProgress(logger) });
  process.stdout.write(`${image.dir}\n`);
} catch (err) {
  if (err instanceof SizeParseError) logger.fatal(err.message);
  else logger.fatal({ err }, "image build failed");
  process.exitCode = 1;
}
