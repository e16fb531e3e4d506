import { e2bTemplate } from "../../templates/e2b-template.js";

/**
 * The Wrenn template reference an E2B templateID means: the SDKs' default
 * "base" is the platform's E2B template (user `user` in /home/user), which
 * CreateSandbox starts from once it is built and falls back to Wrenn's base
 * before (templates/sandbox-template-resolver.ts). Anything else is a Wrenn
 * reference as it is (tpl-…, name, name:tag).
 */
export function e2bTemplateRef(templateId: string): string {
  return templateId === "base" ? `${e2bTemplate.name}:${e2bTemplate.tag}` : templateId;
}
