/** A command line the CLI cannot run: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const usage = `usage:
  ./wrenn template build -f <recipe> --name <name[:tag]> [--archive <file>]
                         [--vcpus N] [--memory-mib N] [--disk-mib N]
                         [--platform] [--step-timeout SECONDS]
  ./wrenn template list

environment:
  WRENN_API_ADDR   gRPC address of the controlplane (default 127.0.0.1:50051)
  WRENN_API_KEY    API key (default: the file .wrenn/api-key that ./wrenn up wrote)`;

export interface BuildArgs {
  command: "build";
  recipeFile: string;
  name: string;
  archive?: string;
  vcpus: number;
  memoryMib: number;
  diskMib: number;
  platform: boolean;
  stepTimeoutSeconds: number;
}

export type TemplateCommand = BuildArgs | { command: "list" } | { command: "help" };

const numberFlags = {
  "--vcpus": "vcpus",
  "--memory-mib": "memoryMib",
  "--disk-mib": "diskMib",
  "--step-timeout": "stepTimeoutSeconds",
} as const;

function positive(flag: string, value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new UsageError(`${flag} needs a positive whole number, got "${value}"`);
  }
  return Number(value);
}

/** Parses the arguments after `template`; flags may be given as `--flag value` or `--flag=value`. */
export function parseTemplateArgs(argv: string[]): TemplateCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return { command: "help" };
  }
  if (command === "list") {
    if (rest.length > 0) {
      throw new UsageError(`template list takes no arguments, got "${rest[0]}"`);
    }
    return { command: "list" };
  }
  if (command !== "build") {
    throw new UsageError(`unknown template command "${command}" (known: build, list)`);
  }
  const args: Partial<BuildArgs> & { command: "build" } = { command: "build", vcpus: 0, memoryMib: 0, diskMib: 0, platform: false, stepTimeoutSeconds: 0 };
  for (let i = 0; i < rest.length; i++) {
    let flag = rest[i];
    let value: string | undefined;
    const eq = flag.indexOf("=");
    if (flag.startsWith("--") && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const take = (): string => {
      if (value !== undefined) {
        return value;
      }
      const next = rest[++i];
      if (next === undefined || next === "") {
        throw new UsageError(`${flag} needs a value`);
      }
      return next;
    };
    if (flag === "-f" || flag === "--file") {
      args.recipeFile = take();
    } else if (flag === "--name" || flag === "-n") {
      args.name = take();
    } else if (flag === "--archive" || flag === "-a") {
      args.archive = take();
    } else if (flag === "--platform") {
      if (value !== undefined) {
        throw new UsageError("--platform takes no value");
      }
      args.platform = true;
    } else if (flag in numberFlags) {
      args[numberFlags[flag as keyof typeof numberFlags]] = positive(flag, take());
    } else {
      throw new UsageError(`unknown option "${flag}" for template build`);
    }
  }
  if (!args.recipeFile) {
    throw new UsageError("template build needs -f <recipe>");
  }
  if (!args.name) {
    throw new UsageError("template build needs --name <name[:tag]>");
  }
  return args as BuildArgs;
}
