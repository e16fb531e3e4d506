/**
 * A template recipe: one instruction a line, parsed by the controlplane (to
 * refuse a bad recipe at once) and by the host agent (which runs it). Every
 * instruction keeps its 1-based line and its text as written, so errors and
 * build events can name them.
 */
interface Located {
  /** 1-based line of the instruction in the recipe. */
  line: number;
  /** The instruction as written (continuations joined). */
  text: string;
}

export type RecipeStep =
  | (Located & { kind: "RUN"; command: string })
  | (Located & { kind: "START"; command: string })
  | (Located & { kind: "READY"; command: string })
  | (Located & { kind: "USER"; user: string })
  | (Located & { kind: "COPY"; sources: string[]; destination: string })
  | (Located & { kind: "ENV"; vars: Record<string, string> })
  | (Located & { kind: "WORKDIR"; dir: string });

export interface Recipe {
  /** The FROM line's template reference ("name", "name:tag" or "tpl-…"); undefined: the base template. */
  from?: Located & { template: string };
  /** Every instruction after FROM, in order. */
  steps: RecipeStep[];
}

/** A recipe that cannot be run; the message starts with "line N: ". */
export class RecipeError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "RecipeError";
  }
}
