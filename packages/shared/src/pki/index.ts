export * from "./key-pair.js";
export * from "./certificate-authority.js";
export * from "./signing-request.js";
export * from "./host-token.js";
export * from "./mutual-tls.js";
