import { newUuid } from "@wrenn/shared";
import type { NewTemplate } from "./template.js";

/** Disk of a base sandbox until a host reports it (the image's 2 GiB root file system). */
const baseDiskMib = 2048;

/**
 * The platform's base templates, seeded at every start when missing:
 * `base:latest` is the host's default size (today 2 vCPUs / 1 GiB),
 * `base:small` and `base:large` fixed sizes each host makes on first use.
 */
export function platformBaseTemplates(): NewTemplate[] {
  const row = (tag: string, hostTemplateId: string, vcpus: number, memoryMib: number): NewTemplate => ({
    id: newUuid(),
    teamId: null,
    name: "base",
    tag,
    hostTemplateId,
    hostId: null,
    resources: { vcpus, memoryMib, diskMib: baseDiskMib },
    defaultUser: "",
    defaultWorkdir: "",
    envs: {},
    parent: "",
    buildId: null,
    sourceSandboxId: null,
    diskBytes: 0,
  });
  return [row("latest", "base", 2, 1024), row("small", "base-1x1024", 1, 1024), row("large", "base-2x4096", 2, 4096)];
}
