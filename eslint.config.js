// `npm run lint`: the rules that keep the tree's shape (docs/ARCHITECTURE.md,
// "Tests and CI"). Only these rules run, all as errors; style is not linted.
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const services = ["controlplane", "hostagent", "envd"];

// One zone per service: nothing in it may resolve into another service.
// Checked on resolved paths, so relative imports are caught as well.
const crossServiceZones = services.map((service) => ({
  target: `./services/${service}`,
  from: services.filter((other) => other !== service).map((other) => `./services/${other}`),
  message: "services never import each other; they talk through the clients generated from proto/",
}));

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/dist/**", "gen/**", ".venv*/**", ".scratch/**", "clients/python/**", "clients/go/**"],
  },
  {
    files: ["**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      // Type information from the root tsconfig.json, which covers every file linted here.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "@typescript-eslint": tseslint.plugin, "import-x": importX },
    settings: {
      // Without these, import-x reads no .ts file and no-cycle sees no graph.
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-restricted-paths": ["error", { zones: crossServiceZones }],
      // A relative path into another workspace (a service's src/, gen/, a
      // package's src/) bypasses that workspace's public entry.
      "import-x/no-relative-packages": "error",
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@wrenn/*/src", "@wrenn/*/src/**"],
              message: "import the package's public entry, not its src/ internals",
            },
            {
              group: services.map((service) => `@wrenn/${service}`).flatMap((name) => [name, `${name}/**`]),
              message: "a service is not a library: services talk through the clients generated from proto/",
            },
          ],
        },
      ],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
    },
  },
);
