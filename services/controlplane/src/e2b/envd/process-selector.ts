import { Code, ConnectError } from "@connectrpc/connect";
import type { ProcessSelector } from "@wrenn/gen/e2b/process/process_pb.js";
import type { ProcessSelector as WrennSelector } from "@wrenn/gen/wrenn/envd/v1/process.js";

/** E2B's selector (a oneof) as Wrenn's; a request naming no process is InvalidArgument, as envd answers it. */
export function toWrennSelector(selector: ProcessSelector | undefined): WrennSelector {
  const chosen = selector?.selector;
  if (chosen?.case === "pid") return { pid: chosen.value };
  if (chosen?.case === "tag" && chosen.value !== "") return { tag: chosen.value };
  throw new ConnectError("process is required: a pid or a tag", Code.InvalidArgument);
}
