/**
 * What request hooks attach to a request (a team, an API key's id), read by
 * later hooks and by handlers, gRPC and HTTP alike. An extension names its
 * own keys, e.g. with `declare module` augmentation of this interface.
 * (A file of its own: the gateway and the extension types both need it.)
 */
export interface RequestAttributes {
  [key: string]: unknown;
}
