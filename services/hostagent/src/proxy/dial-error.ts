/** Why a guest port could not be dialled: `code` is the errno name (ECONNREFUSED, ETIMEDOUT, …) or one of ours (EHELPER, EABORTED). */
export class DialError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DialError";
  }
}
