import { spawnService, type ServiceExit, type ServiceProcess, type SpawnServiceOptions } from "./service-process.js";

/** What a supervisor reports about one service. */
export type ServiceEvent =
  | { type: "exited"; service: string; pid: number | undefined; exit: ServiceExit; lastLines: string[]; restartInMs: number }
  | { type: "restarted"; service: string; pid: number | undefined; addresses: Record<string, string> }
  | { type: "restart-failed"; service: string; error: string; restartInMs: number };

export interface SupervisedServiceOptions extends SpawnServiceOptions {
  /** Restart the service when it dies on its own (with backoff). */
  supervise: boolean;
  onEvent?: (event: ServiceEvent) => void;
  /**
   * Settings that keep a restarted service where the first one was (listen
   * addresses with the ports the kernel chose), from the first start's addresses.
   */
  pinned?(addresses: Map<string, string>): Record<string, string>;
}

export interface SupervisedService {
  readonly name: string;
  /** The process running now (replaced on every restart). */
  readonly current: ServiceProcess;
  readonly pid: number | undefined;
  /** Resolves when the service is running again after the current process ends (a supervised restart). */
  nextStart(): Promise<ServiceProcess>;
  /**
   * Ends the current process with `signal` (default SIGTERM, with the usual
   * grace period) and starts it again on the same addresses and data dir,
   * optionally with changed settings.
   */
  restart(options?: { signal?: NodeJS.Signals; env?: Record<string, string | undefined> }): Promise<void>;
  /** Ends the current process (SIGTERM with a grace period, or `signal`) and does not restart it until start(). */
  halt(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again after halt(), on the same addresses, optionally with changed settings. */
  start(env?: Record<string, string | undefined>): Promise<void>;
  /** Stops it for good (no restart). */
  stop(): Promise<void>;
}

const firstBackoffMs = 500;
const maxBackoffMs = 30_000;
/** A service that stayed up this long starts over from the first backoff. */
const healthyAfterMs = 60_000;

/**
 * One service process kept alive: a process that dies while nobody asked it
 * to stop is reported (exit status and its last log lines) and started again
 * on the same addresses, after a backoff that doubles while restarts keep
 * failing. Restarts and stops the caller asks for are never reported as deaths.
 */
export async function startSupervisedService(options: SupervisedServiceOptions): Promise<SupervisedService> {
  let env = { ...options.env };
  // A supervised service must not get the terminal's SIGINT along with its supervisor.
  // It may run for days: keep only the last lines (for death reports), not every line.
  options = { ...options, ownProcessGroup: options.ownProcessGroup ?? options.supervise, keepLogs: options.keepLogs ?? false };
  let current = await spawnService({ ...options, env });
  if (options.pinned) env = { ...env, ...options.pinned(current.addresses) };
  let startedAt = Date.now();
  let backoffMs = firstBackoffMs;
  /** Set while the caller restarts or stops it: that exit is intended. */
  let intended = false;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let waiters: ((service: ServiceProcess) => void)[] = [];

  const started = (service: ServiceProcess) => {
    current = service;
    startedAt = Date.now();
    for (const resolve of waiters.splice(0)) resolve(service);
    watch(service);
  };

  function watch(service: ServiceProcess) {
    void service.exited.then((exit) => {
      if (intended || stopped || service !== current) return;
      if (Date.now() - startedAt > healthyAfterMs) backoffMs = firstBackoffMs;
      const restartInMs = options.supervise ? backoffMs : -1;
      options.onEvent?.({ type: "exited", service: options.name, pid: service.child.pid, exit, lastLines: service.lastLines(), restartInMs });
      if (options.supervise) scheduleRestart();
    });
  }

  function scheduleRestart() {
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopped || intended) return;
      spawnService({ ...options, env }).then(
        (service) => {
          if (stopped || intended) {
            void service.stop();
            return;
          }
          started(service);
          options.onEvent?.({ type: "restarted", service: options.name, pid: service.child.pid, addresses: Object.fromEntries(service.addresses) });
        },
        (err: unknown) => {
          if (stopped || intended) return;
          options.onEvent?.({ type: "restart-failed", service: options.name, error: (err as Error).message, restartInMs: backoffMs });
          scheduleRestart();
        },
      );
    }, delay);
  }

  watch(current);

  const service: SupervisedService = {
    name: options.name,
    get current() {
      return current;
    },
    get pid() {
      return current.child.pid;
    },
    nextStart() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    async halt(signal = "SIGTERM") {
      if (stopped) throw new Error(`${options.name} was stopped`);
      intended = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      if (signal === "SIGTERM") await current.stop();
      else {
        current.child.kill(signal);
        await current.exited;
      }
    },
    async start(changes = {}) {
      if (stopped) throw new Error(`${options.name} was stopped`);
      intended = true;
      try {
        await current.stop();
        env = { ...env, ...changes };
        started(await spawnService({ ...options, env }));
        backoffMs = firstBackoffMs;
      } finally {
        intended = false;
      }
    },
    async restart({ signal, env: changes } = {}) {
      await service.halt(signal);
      await service.start(changes);
    },
    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      waiters = [];
      await current.stop();
    },
  };
  return service;
}
