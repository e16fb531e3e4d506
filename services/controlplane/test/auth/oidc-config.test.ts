import { describe, expect, it } from "vitest";
import { loadControlPlaneConfig } from "../../src/config.js";
import { createGithubProvider } from "../../src/auth/oidc/github-provider-client.js";
import { createOidcProvider } from "../../src/auth/oidc/oidc-provider-client.js";
import { safeReturnTo } from "../../src/auth/oidc/return-to.js";

describe("OIDC and GitHub login settings", () => {
  it("turns a provider on only when all of its settings are set, and refuses half of them", () => {
    expect(loadControlPlaneConfig({}).oidc).toBeUndefined();
    expect(loadControlPlaneConfig({}).github).toBeUndefined();
    const oidc = loadControlPlaneConfig({ WRENN_OIDC_ISSUER: "https://id.example.com", WRENN_OIDC_CLIENT_ID: "c", WRENN_OIDC_CLIENT_SECRET: "s" }).oidc;
    expect(oidc).toEqual({ issuer: "https://id.example.com", clientId: "c", clientSecret: "s", redirectUrl: undefined, scopes: "openid email profile" });
    const github = loadControlPlaneConfig({ WRENN_GITHUB_CLIENT_ID: "c", WRENN_GITHUB_CLIENT_SECRET: "s" }).github;
    expect(github).toMatchObject({ authorizeUrl: "https://github.com/login/oauth/authorize", apiUrl: "https://api.github.com" });
    expect(() => loadControlPlaneConfig({ WRENN_OIDC_ISSUER: "https://id.example.com", WRENN_OIDC_CLIENT_ID: "c" })).toThrow(/WRENN_OIDC/);
    expect(() => loadControlPlaneConfig({ WRENN_GITHUB_CLIENT_SECRET: "s" })).toThrow(/WRENN_GITHUB/);
  });

  it("allows a plain-http provider only on loopback", () => {
    const oidc = (issuer: string) => () => createOidcProvider({ issuer, clientId: "c", clientSecret: "s", scopes: "openid email" });
    expect(oidc("http://127.0.0.1:9000")).not.toThrow();
    expect(oidc("http://[::1]:9000")).not.toThrow();
    expect(oidc("http://id.example.com")).toThrow(/https/);
    expect(oidc("http://127.0.0.1.example.com")).toThrow(/https/);
    const github = (apiUrl: string) => () =>
      createGithubProvider({ clientId: "c", clientSecret: "s", authorizeUrl: "https://github.com/a", tokenUrl: "https://github.com/t", apiUrl });
    expect(github("https://api.github.com")).not.toThrow();
    expect(github("http://api.github.com")).toThrow(/WRENN_GITHUB_API_URL/);
  });

  it("keeps return_to on this site", () => {
    expect(safeReturnTo(null)).toBe("/");
    expect(safeReturnTo("/sandboxes?team=a#top")).toBe("/sandboxes?team=a#top");
    for (const away of ["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "evil.example", "/\tevil", "javascript:alert(1)"]) {
      expect(safeReturnTo(away), away).toBeNull();
    }
  });
});
