import { EgressPolicy_Mode, ExpiryAction, type CreateSandboxRequest } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { e2bTemplateRef } from "./e2b-template.js";
import { field, type JsonObject } from "./request-input.js";

/** The SDKs' default template, and E2B's server-side default timeout. */
const defaultTemplate = "base";
const defaultTimeoutSeconds = 300;

/**
 * E2B's create body (`NewSandbox`, `NewSandboxV2`) as a CreateSandbox
 * request that waits until the sandbox runs (E2B answers with a running
 * sandbox). `autoPause` becomes on_expiry PAUSE, `autoResume.enabled` the
 * proxy's auto_resume, `allow_internet_access: false` a deny-all egress
 * policy. Ports are public unless `network.allowPublicTraffic` is false, as
 * on E2B (then the traffic token opens them). Fields Wrenn has no counterpart
 * for (mcp, volumeMounts, other network rules, secure) are ignored.
 */
export function createRequestOf(body: JsonObject): Partial<CreateSandboxRequest> {
  const templateId = e2bTemplateRef(field.string(body, "templateID") || defaultTemplate);
  const timeout = field.timeout(body);
  const autoPause = field.boolean(body, "autoPause");
  const autoResume = field.object(body, "autoResume");
  const resumeEnabled = autoResume ? field.boolean(autoResume, "enabled") : undefined;
  const internet = field.boolean(body, "allow_internet_access");
  const network = field.object(body, "network");
  const publicTraffic = network ? field.boolean(network, "allowPublicTraffic") : undefined;
  return {
    templateId,
    metadata: field.stringMap(body, "metadata") ?? {},
    envs: field.stringMap(body, "envVars") ?? {},
    waitReady: true,
    timeoutSeconds: timeout ?? defaultTimeoutSeconds,
    onExpiry: autoPause ? ExpiryAction.EXPIRY_ACTION_PAUSE : ExpiryAction.EXPIRY_ACTION_KILL,
    autoResume: resumeEnabled ?? false,
    publicPorts: publicTraffic ?? true,
    ...(internet === false ? { egress: { mode: EgressPolicy_Mode.MODE_DENY_ALL, allowedCidrs: [] } } : {}),
  };
}
