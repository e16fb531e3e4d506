import type { ListRequest, ListResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";

export function createListHandler(deps: EnvdDeps) {
  return async (_request: ListRequest): Promise<ListResponse> => ({
    processes: deps.registry
      .list()
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.pid - b.pid)
      .map((p) => ({
        pid: p.pid,
        tag: p.tag,
        cmd: p.spec.cmd,
        args: p.spec.args,
        cwd: p.spec.cwd,
        user: p.spec.user.name,
        startedAt: p.startedAt,
        background: p.spec.background,
        pty: p.ptySize,
        clients: p.clients,
      })),
  });
}
