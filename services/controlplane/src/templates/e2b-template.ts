/**
 * The platform template E2B programs expect: a default user `user` (home
 * /home/user, passwordless sudo) working in /home/user, root beside it, and
 * the image's bash, python3, curl and git (the RUN line fails the build on
 * an image made before they were added, rather than a template without them).
 * The template builder makes it (platform-template-builds.ts); until it is
 * ready a reference to it resolves to `fallback` (template-resolver.ts).
 */
export const e2bTemplate = {
  name: "e2b-base",
  tag: "latest",
  fallback: "base:latest",
  recipe: [
    "# What E2B's default template gives a program: user `user` in /home/user, with sudo.",
    "FROM base",
    "RUN python3 --version && curl --version && git --version && sudo --version",
    "USER user",
    "WORKDIR /home/user",
  ].join("\n"),
} as const;
