// `npm run lint`, second half: the dependency rules ESLint's import-x cannot
// express (docs/ARCHITECTURE.md, "Tests and CI"). import-x/no-cycle skips
// type-only imports; here every import counts, because a cycle through types
// is still two files that cannot be understood (or moved) one without the
// other. The folder rules keep each service's layers pointing one way.
// scripts/check-lint-rules.ts plants a violation of each kind and checks it is reported.

const hostagent = "^services/hostagent/src/";
const controlplane = "^services/controlplane/src/";

/** `from` (a folder of one service) never imports any of `to` (folders of the same service). */
function layer(name, service, from, to, comment) {
  return {
    name,
    comment,
    severity: "error",
    from: { path: `${service}${from}/` },
    to: { path: `${service}(${to.join("|")})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "no import cycles, type-only imports included",
      severity: "error",
      from: { path: "^(services|packages|clients|test|bench|scripts)/" },
      to: { circular: true },
    },
    // Host agent: host/ (processes, files, cleanup) ← network/, envd/, image/ ← runtime/ ← sandbox/ ← rpc/.
    layer("hostagent-host-is-the-bottom", hostagent, "host", ["network", "runtime", "sandbox", "rpc", "relay"],
      "host/ holds the host's primitives; everything may use it, it uses none of the agent's folders"),
    layer("hostagent-network-below-runtime", hostagent, "network", ["runtime", "sandbox", "rpc", "relay"],
      "network/ gives runtimes their networks; it knows no runtime"),
    layer("hostagent-envd-image-below-runtime", hostagent, "(envd|image)", ["runtime", "sandbox", "rpc", "relay"],
      "the envd connection and the guest image builder serve runtimes; they know none"),
    layer("hostagent-runtime-below-sandbox", hostagent, "runtime", ["sandbox", "rpc", "relay"],
      "a runtime runs one sandbox; the bookkeeping of all of them (sandbox/) and the RPCs sit above it"),
    layer("hostagent-sandbox-below-rpc", hostagent, "sandbox", ["rpc"],
      "sandbox/ is what the RPCs call; it never calls back up"),
    // Controlplane: the domain (lifecycle/) is what rpc/, gateway/ and db/ serve.
    layer("controlplane-domain-knows-no-edge", controlplane, "lifecycle", ["db", "rpc", "gateway", "hosts", "reconciler"],
      "lifecycle/ holds the domain; storage, transports and the host adapter depend on it, never the reverse"),
    // identity/ is the identity domain (principal, store contracts, secret formats, role rules): db/identity/,
    // auth/ and rpc/ implement and serve it.
    layer("controlplane-identity-knows-no-edge", controlplane, "identity", ["db", "rpc", "gateway", "auth", "hosts"],
      "identity/ holds identity's domain rules and contracts; storage, transports and the auth hook depend on it, never the reverse"),
    {
      name: "controlplane-domain-no-wire-types",
      comment: "the domain speaks its own types; wire messages are converted at the RPC edge and in the host adapter",
      severity: "error",
      from: { path: `${controlplane}lifecycle/` },
      to: { path: ["^gen/", "node_modules/(nice-grpc|@grpc/)"] },
    },
    {
      name: "gen-through-its-entry",
      comment:
        "generated code is used through @wrenn/gen's own modules (wrenn/**, e2b/**, descriptor.ts), never its " +
        "internals, and never by a relative path into gen/",
      severity: "error",
      from: { pathNot: "^gen/" },
      to: { path: "^gen/ts/", pathNot: "^gen/ts/(wrenn/.+|e2b/.+_pb|descriptor)\\.ts$" },
    },
    {
      name: "gen-by-package-name",
      comment: "import @wrenn/gen/…, not a relative path into gen/",
      severity: "error",
      from: { pathNot: "^gen/" },
      // A workspace import from the root (bench/) is "local" too, and also "aliased".
      to: { path: "^gen/", dependencyTypes: ["local"], dependencyTypesNot: ["aliased"] },
    },
    {
      name: "resolvable",
      comment: "every import resolves (a rule that cannot see a file cannot check it)",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Reached (so the gen rules see the target) but not read further.
    doNotFollow: { path: ["node_modules", "^gen/"] },
    exclude: { path: ["/node_modules/", "/dist/"] },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".json"],
    },
    skipAnalysisNotInRules: true,
  },
};
