import type { Template } from "@wrenn/gen/wrenn/api/v1/template.js";

/** `template list` as aligned columns: what a person picks a template by. */
export function templateTable(templates: Template[]): string {
  if (templates.length === 0) {
    return "No templates.\n";
  }
  const rows = [
    ["NAME", "ID", "OWNER", "VCPUS", "MEMORY", "DISK", "USER", "CREATED"],
    ...templates.map((t) => [
      `${t.name}:${t.tag}`,
      t.templateId,
      t.platform ? "platform" : "team",
      String(t.resources?.vcpus ?? ""),
      t.resources ? `${t.resources.memoryMib} MiB` : "",
      t.resources ? `${t.resources.diskMib} MiB` : "",
      t.defaultUser,
      t.createdAt ? t.createdAt.toISOString().replace(/\.\d+Z$/, "Z") : "",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n") + "\n";
}
