import { ServerError, errors } from "@wrenn/shared";

/**
 * Turns an errno from a file operation into a status with a message that
 * names the operation and the caller's path, never envd internals.
 */
export function fsError(err: unknown, op: string, path: string): Error {
  if (err instanceof ServerError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return errors.notFound(`${op} ${path}: no such file or directory`);
    case "EACCES":
    case "EPERM":
      return errors.permissionDenied(`${op} ${path}: permission denied`);
    case "EEXIST":
      return errors.alreadyExists(`${op} ${path}: already exists`);
    case "ENOTEMPTY":
      return errors.alreadyExists(`${op} ${path}: destination is a non-empty directory`);
    case "ENOTDIR":
      return errors.failedPrecondition(`${op} ${path}: a component of the path is not a directory`);
    case "EISDIR":
      return errors.failedPrecondition(`${op} ${path}: is a directory`);
    case "ELOOP":
      return errors.failedPrecondition(`${op} ${path}: too many levels of symbolic links`);
    case "ENAMETOOLONG":
      return errors.invalidArgument(`${op} ${path}: name too long`);
    case "EINVAL":
      return errors.invalidArgument(`${op} ${path}: invalid argument (moving a directory into itself?)`);
    case "ENOSPC":
    case "EDQUOT":
      return errors.resourceExhausted(`${op} ${path}: no space left on device`);
    case "EMFILE":
    case "ENFILE":
      return errors.resourceExhausted(`${op} ${path}: too many open files (${code})`);
    case "EROFS":
      return errors.failedPrecondition(`${op} ${path}: read-only file system`);
    case "EBUSY":
      return errors.failedPrecondition(`${op} ${path}: resource busy`);
    case "EIO":
      return errors.failedPrecondition(`${op} ${path}: input/output error (EIO)`);
    case "EAGAIN":
      return errors.failedPrecondition(`${op} ${path}: resource temporarily unavailable (EAGAIN)`);
    case "ENXIO":
    case "ENODEV":
      return errors.failedPrecondition(`${op} ${path}: no such device or address (${code})`);
    case "EOVERFLOW":
    case "EFBIG":
      return errors.failedPrecondition(`${op} ${path}: value too large (${code})`);
    case "ETXTBSY":
      return errors.failedPrecondition(`${op} ${path}: text file busy`);
    case "EOPNOTSUPP":
    case "ENOTSUP":
      return errors.failedPrecondition(`${op} ${path}: operation not supported by this file system`);
    default:
      // Anything else reaches the error middleware, which logs it and answers INTERNAL.
      return err instanceof Error ? err : new Error(String(err));
  }
}
