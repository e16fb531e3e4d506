import { SandboxStatus, type WrennClient } from "@wrenn/client";

/** Every status a sandbox was seen in, sampled until stop(); calls that fail (a controlplane down) are not samples. */
export interface StatusRecorder {
  /** sandbox id → the distinct statuses seen, in the order first seen. */
  seen: Map<string, SandboxStatus[]>;
  samples: number;
  stop(): Promise<void>;
}

/**
 * Polls GetSandbox for each id for as long as it runs, through a client of
 * its own (one that reconnects by itself when the controlplane restarts), so
 * a status that flickers through MISSING or ERROR for a moment is caught.
 */
export function recordStatuses(client: () => WrennClient, ids: string[], intervalMs = 200): StatusRecorder {
  const seen = new Map<string, SandboxStatus[]>(ids.map((id) => [id, []]));
  let stopped = false;
  const recorder: StatusRecorder = { seen, samples: 0, stop: async () => {} };
  const loop = (async () => {
    while (!stopped) {
      for (const id of ids) {
        try {
          const { sandbox } = await client().sandboxes.getSandbox({ sandboxId: id }, { signal: AbortSignal.timeout(5_000) });
          const list = seen.get(id)!;
          if (sandbox && !list.includes(sandbox.status)) list.push(sandbox.status);
          recorder.samples++;
        } catch {
          // The controlplane is restarting: no answer is not a status.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  recorder.stop = async () => {
    stopped = true;
    await loop;
  };
  return recorder;
}

/** The names of the statuses, for readable assertions. */
export function statusNames(statuses: SandboxStatus[] | undefined): string[] {
  return (statuses ?? []).map((s) => SandboxStatus[s]);
}
