import { errors, quoteForMessage } from "@wrenn/shared";
import type { ExpiryAction } from "./sandbox.js";
import { validateEgress } from "./egress-validation.js";
import type { EgressRule } from "./host-contract.js";

export const defaultTemplateId = "base";

export const limits = {
  /** "name:tag": a 63-character name, ":" and a 64-character tag. */
  templateIdLength: 128,
  metadataEntries: 64,
  metadataKeyLength: 64,
  metadataValueLength: 1024,
  envEntries: 256,
  envKeyLength: 256,
  envValueLength: 32 * 1024,
  envTotalBytes: 256 * 1024,
  /** 30 days. */
  timeoutSeconds: 30 * 24 * 3600,
} as const;

const templateIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const metadataKeyPattern = /^[A-Za-z0-9][A-Za-z0-9._\/-]*$/;
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface CreateSandboxInput {
  /** The template as the caller named it (shown as the sandbox's template_id). */
  templateId: string;
  /** The template resolved (templates/): its row (UUID) and the id its host knows it by. Unset: `templateId` is sent to the host as is. */
  template?: { uuid: string; hostTemplateId: string };
  metadata: Record<string, string>;
  envs: Record<string, string>;
  /** 0 = no timeout. */
  timeoutSeconds: number;
  onExpiry: ExpiryAction;
  /** Unset: allow all. */
  egress?: EgressRule;
  /** Its ports are open to anyone through the port proxy. */
  publicPorts: boolean;
  /** A proxied request resumes it when paused. */
  autoResume: boolean;
}

/**
 * Checks a create request and fills defaults. Messages name the field and the
 * rule; they quote metadata keys and env names but never env values, which
 * may be secrets.
 */
export function validateCreateSandbox(input: {
  templateId?: string;
  metadata?: Record<string, string>;
  envs?: Record<string, string>;
  timeoutSeconds?: number;
  onExpiry?: ExpiryAction | "invalid";
  egress?: { mode: EgressRule["mode"] | "invalid"; allowedCidrs: readonly string[] };
  publicPorts?: boolean;
  autoResume?: boolean;
}): CreateSandboxInput {
  const templateId = input.templateId === undefined || input.templateId === "" ? defaultTemplateId : input.templateId;
  if (templateId.length > limits.templateIdLength) {
    throw errors.invalidArgument(`template_id must be at most ${limits.templateIdLength} characters`);
  }
  if (!templateIdPattern.test(templateId)) {
    throw errors.invalidArgument(
      `template_id must start with a letter or digit and contain only letters, digits, ".", "_", "-" and ":", got ${quote(templateId)}`,
    );
  }

  const metadata = input.metadata ?? {};
  const metadataKeys = Object.keys(metadata);
  if (metadataKeys.length > limits.metadataEntries) {
    throw errors.invalidArgument(`metadata may hold at most ${limits.metadataEntries} entries, got ${metadataKeys.length}`);
  }
  for (const key of metadataKeys) {
    if (key.length === 0 || key.length > limits.metadataKeyLength || !metadataKeyPattern.test(key)) {
      throw errors.invalidArgument(
        `metadata key ${quote(key)} must be 1–${limits.metadataKeyLength} characters of letters, digits, ".", "_", "/" and "-"`,
      );
    }
    const value = metadata[key];
    if (value.length > limits.metadataValueLength) {
      throw errors.invalidArgument(`metadata value for ${quote(key)} must be at most ${limits.metadataValueLength} characters`);
    }
    if (value.includes("\u0000")) throw errors.invalidArgument(`metadata value for ${quote(key)} must not contain NUL`);
    // Only reachable through a JSON body ("\ud800"): PostgreSQL's jsonb refuses such text.
    if (hasLoneSurrogate(value)) throw errors.invalidArgument(`metadata value for ${quote(key)} must be valid Unicode text`);
  }

  const envs = input.envs ?? {};
  const envKeys = Object.keys(envs);
  if (envKeys.length > limits.envEntries) {
    throw errors.invalidArgument(`envs may hold at most ${limits.envEntries} variables, got ${envKeys.length}`);
  }
  let total = 0;
  for (const key of envKeys) {
    if (key.length > limits.envKeyLength || !envKeyPattern.test(key)) {
      throw errors.invalidArgument(
        `envs name ${quote(key)} must be a shell variable name (letters, digits and "_", not starting with a digit), at most ${limits.envKeyLength} characters`,
      );
    }
    const value = envs[key];
    if (Buffer.byteLength(value) > limits.envValueLength) {
      throw errors.invalidArgument(`envs value of ${key} must be at most ${limits.envValueLength} bytes`);
    }
    if (value.includes("\u0000")) throw errors.invalidArgument(`envs value of ${key} must not contain NUL`);
    if (hasLoneSurrogate(value)) throw errors.invalidArgument(`envs value of ${key} must be valid Unicode text`);
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (total > limits.envTotalBytes) {
    throw errors.invalidArgument(`envs must total at most ${limits.envTotalBytes} bytes, got ${total}`);
  }

  const timeoutSeconds = input.timeoutSeconds ?? 0;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0 || timeoutSeconds > limits.timeoutSeconds) {
    throw errors.invalidArgument(`timeout_seconds must be between 0 and ${limits.timeoutSeconds}, got ${timeoutSeconds}`);
  }
  if (input.onExpiry === "invalid") throw errors.invalidArgument("on_expiry must be EXPIRY_ACTION_KILL or EXPIRY_ACTION_PAUSE");
  const egress = input.egress ? validateEgress(input.egress.mode, input.egress.allowedCidrs) : undefined;

  return {
    templateId,
    metadata: { ...metadata },
    envs: { ...envs },
    timeoutSeconds,
    onExpiry: input.onExpiry ?? "kill",
    ...(egress ? { egress } : {}),
    publicPorts: input.publicPorts ?? false,
    autoResume: input.autoResume ?? false,
  };
}

/**
 * ListSandboxes' label filter: each item "key=value" (split at the first
 * "="), the key a valid metadata key. Anything else is INVALID_ARGUMENT
 * naming the item, rather than a filter that silently matches nothing.
 */
export function parseMetadataFilter(items: readonly string[]): [key: string, value: string][] {
  if (items.length > limits.metadataEntries) {
    throw errors.invalidArgument(`metadata may hold at most ${limits.metadataEntries} filters, got ${items.length}`);
  }
  return items.map((item) => {
    const at = item.indexOf("=");
    const key = at < 0 ? "" : item.slice(0, at);
    const value = at < 0 ? "" : item.slice(at + 1);
    const keyValid = key.length > 0 && key.length <= limits.metadataKeyLength && metadataKeyPattern.test(key);
    if (!keyValid || value.includes("\u0000") || hasLoneSurrogate(value)) {
      throw errors.invalidArgument(`metadata filter ${quote(item)} must be "key=value" with a valid metadata key`);
    }
    return [key, value];
  });
}

/** Quotes a value for a message: at most 64 characters of it, never cut inside one, controls visible. */
function quote(value: string): string {
  return quoteForMessage(value);
}

function hasLoneSurrogate(value: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}
