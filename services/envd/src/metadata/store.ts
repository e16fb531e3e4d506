/**
 * The sandbox identity the host agent gives envd through Init, at first boot
 * and after every restore (a restored guest must never keep the identity of
 * the sandbox it was snapshotted from).
 */
export interface SandboxMetadata {
  sandboxId: string;
  templateId: string;
  hostname: string;
  /** User for processes and file operations that name none. */
  defaultUser: string;
  /** cwd of processes started without one; "" or unset: the user's home. */
  defaultWorkdir?: string;
  /** Environment added to every process, under the request's own envs. */
  envs: Record<string, string>;
}

export interface MetadataStore {
  get(): Readonly<SandboxMetadata>;
  /** Replaces the identity as a whole: nothing from a previous Init survives. */
  replace(next: SandboxMetadata): void;
}

export function createMetadataStore(defaultUser: string): MetadataStore {
  let current: SandboxMetadata = { sandboxId: "", templateId: "", hostname: "", defaultUser, envs: {} };
  return {
    get: () => current,
    replace(next) {
      current = { ...next, envs: { ...next.envs } };
    },
  };
}
