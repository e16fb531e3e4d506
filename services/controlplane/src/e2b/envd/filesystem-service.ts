import type { ServiceImpl } from "@connectrpc/connect";
import type { Filesystem } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import type { PublicEnvdClients } from "./envd-calls.js";

/**
 * E2B's `filesystem.Filesystem`, mapped onto the public FilesystemService.
 * Placeholder: every method answers unimplemented until it is written.
 */
export function filesystemService(_clients: PublicEnvdClients): Partial<ServiceImpl<typeof Filesystem>> {
  return {};
}
