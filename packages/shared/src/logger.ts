import pino, { type Logger, type DestinationStream } from "pino";

export type { Logger };

/** Field paths whose values never reach a log line. */
const redactPaths = [
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "apiKey",
  "*.apiKey",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "envs",
  "*.envs",
  "databaseUrl",
  "redisUrl",
];

export interface LoggerOptions {
  level?: string;
  /** Extra destinations (e.g. a log file) beside stderr. */
  destinations?: DestinationStream[];
}

/** Structured JSON logs to stderr (and optional extra streams), with secrets redacted. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.WRENN_LOG_LEVEL ?? "info";
  // Each multistream entry filters at its own level (info by default), so pass ours.
  const streams = [pino.destination(2), ...(options.destinations ?? [])].map((stream) => ({ level, stream }));
  return pino(
    { level, base: { service }, redact: { paths: redactPaths, censor: "[redacted]" } },
    pino.multistream(streams as pino.StreamEntry[]),
  );
}
