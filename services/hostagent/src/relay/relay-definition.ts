/**
 * Turns a ts-proto service definition into one whose messages stay raw
 * bytes: serialize and deserialize are identity functions, so the relay
 * never decodes or re-encodes what passes through it. Only each method's
 * path and streaming shape are taken from the generated definition, so
 * RPCs added to the envd protos are relayed after `npm run gen` alone.
 */
export interface GeneratedServiceDefinition {
  fullName: string;
  methods: Record<string, { name: string; requestStream: boolean; responseStream: boolean }>;
}

export interface RawMethodDefinition {
  path: string;
  originalName: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: Buffer) => Buffer;
  requestDeserialize: (bytes: Buffer) => Buffer;
  responseSerialize: (value: Buffer) => Buffer;
  responseDeserialize: (bytes: Buffer) => Buffer;
}

export type RawServiceDefinition = Record<string, RawMethodDefinition>;

export const identity = (bytes: Buffer): Buffer => bytes;

export function rawServiceDefinition(definition: GeneratedServiceDefinition): RawServiceDefinition {
  const raw: RawServiceDefinition = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    raw[key] = {
      path: `/${definition.fullName}/${method.name}`,
      originalName: key,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  return raw;
}

/** The same service with only the named methods: what is not picked is not served (UNIMPLEMENTED). */
export function pickMethods<D extends GeneratedServiceDefinition>(definition: D, keys: (keyof D["methods"] & string)[]): GeneratedServiceDefinition {
  const methods: GeneratedServiceDefinition["methods"] = {};
  for (const key of keys) methods[key] = definition.methods[key]!;
  return { fullName: definition.fullName, methods };
}
