import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { errors } from "@wrenn/shared";
import type { CreateTemplateOptions, TemplateInfo } from "../runtime.js";
import { baseTemplateId, isBaseTemplateId, parseBaseSize, listedBaseSizes } from "../base-sizes.js";
import { baseTemplateRecipe, ensureBaseTemplate, loadTemplate, readTemplateRecord, type QemuTemplate } from "./base-template.js";
import { backingDirOf, baseTemplateDirName, isBaseTemplateDirName, removeUnusedBaseTemplates } from "./base-template-gc.js";
import type { SandboxNetworkProvider } from "./network.js";
import type { QemuRuntimeOptions, Running } from "./qemu-running.js";
import { templateFromSandbox } from "./template-from-sandbox.js";

const templateIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export { baseTemplateId };

/** The QEMU runtime's templates: the base template (built once per size and image) and snapshots of sandboxes. */
export interface QemuTemplates {
  /** The template's files, building the base template on first use. */
  get(id: string, signal?: AbortSignal): Promise<QemuTemplate>;
  /** Counts a create in progress as a user of the template until the returned function is called. */
  hold(id: string): () => void;
  ids(): string[];
  /** The id names a template a create may use: one that exists or is being made, or any valid base size (made on first use). */
  has(id: string): boolean;
  info(): TemplateInfo[];
  /** Loads templates made from sandboxes by an earlier run; ones made from another image are removed. */
  load(): Promise<void>;
  createFromSandbox(sandboxId: string, templateId: string, opts: CreateTemplateOptions): Promise<TemplateInfo>;
  /** Registers a template made elsewhere (templateFromCheckpoint): `making` holds the id until it settles. */
  add(templateId: string, making: Promise<QemuTemplate>): Promise<TemplateInfo>;
  /** INVALID_ARGUMENT / ALREADY_EXISTS for an id a new template cannot take. */
  checkNewId(templateId: string): void;
  /** FAILED_PRECONDITION while anything uses it. */
  remove(templateId: string): Promise<void>;
  /** Base templates of an earlier size or image go once no sandbox or snapshot template uses them. */
  removeUnusedBases(currentDir: string): Promise<void>;
}

export function createQemuTemplates(options: QemuRuntimeOptions, network: SandboxNetworkProvider, running: Map<string, Running>): QemuTemplates {
  const { logger } = options;
  const templates = new Map<string, Promise<QemuTemplate>>();
  /** Templates whose files exist (base once built; snapshots of sandboxes). */
  const ready = new Map<string, QemuTemplate>();
  /** Creates in progress per template: they hold its files like a running sandbox. */
  const pending = new Map<string, number>();
  /** Base template builds by directory (a size's files are made once, whichever id asked first). */
  const buildsByDir = new Map<string, Promise<QemuTemplate>>();
  let imageHash = options.image.hash;

  function usersOf(id: string): number {
    let n = pending.get(id) ?? 0;
    for (const entry of running.values()) if (entry.handle.templateId === id && !entry.destroying) n += 1;
    for (const t of ready.values()) if (t.parentId === id) n += 1;
    return n;
  }

  function hold(id: string): () => void {
    pending.set(id, (pending.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (pending.get(id) ?? 1) - 1;
      if (n <= 0) pending.delete(id);
      else pending.set(id, n);
    };
  }

  /** Loads templates made from sandboxes by an earlier run; ones made from another image are removed. */
  async function loadSnapshotTemplates(): Promise<void> {
    const names = await readdir(options.templatesDir).catch(() => [] as string[]);
    for (const name of names) {
      if (isBaseTemplateDirName(name) || name.endsWith(".building") || ready.has(name) || !templateIdPattern.test(name)) continue;
      const dir = join(options.templatesDir, name);
      if (!existsSync(join(dir, "template.json"))) continue;
      const record = await readTemplateRecord(dir).catch(() => undefined);
      if (!record || record.imageHash !== imageHash) {
        logger.warn({ template: name }, "template made from another guest image; removing it");
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const tpl = await loadTemplate(dir, record);
      ready.set(name, tpl);
      templates.set(name, Promise.resolve(tpl));
    }
  }

  function get(id: string, signal?: AbortSignal): Promise<QemuTemplate> {
    const size = id === baseTemplateId ? { memoryMiB: options.memoryMiB ?? 1024, vcpus: options.vcpus ?? 2 } : parseBaseSize(id);
    if (size === undefined && !templates.has(id)) throw errors.notFound(`template "${id}" not found`);
    let building = templates.get(id);
    if (!building && size) {
      const { memoryMiB, vcpus } = size;
      // Keyed by what the snapshot fixes: a new size or image never overwrites files sandboxes still map.
      const dir = join(options.templatesDir, baseTemplateDirName(options.image.hash, vcpus, memoryMiB, baseTemplateRecipe));
      // `base` and the base-size id of the default size share one directory: one build, under each id.
      let shared = buildsByDir.get(dir);
      if (!shared) {
        shared = ensureBaseTemplate({ id, dir, image: options.image, memoryMiB, vcpus, network, logger, signal });
        const made = shared;
        buildsByDir.set(dir, made);
        made.catch(() => buildsByDir.get(dir) === made && buildsByDir.delete(dir));
      }
      building = shared.then((tpl) => ({ ...tpl, id }));
      templates.set(id, building);
      // A failed build is retried by the next create instead of being cached.
      building.then(
        (tpl) => {
          imageHash = tpl.imageHash;
          ready.set(id, tpl);
        },
        () => templates.delete(id),
      );
    }
    if (!building) throw errors.notFound(`template "${id}" not found`);
    return building;
  }

  function checkNewId(templateId: string): void {
    if (!templateIdPattern.test(templateId)) {
      throw errors.invalidArgument("template_id must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit");
    }
    if (templates.has(templateId) || isBaseTemplateId(templateId)) throw errors.alreadyExists(`template "${templateId}" already exists`);
  }

  async function add(templateId: string, making: Promise<QemuTemplate>): Promise<TemplateInfo> {
    templates.set(templateId, making);
    try {
      const tpl = await making;
      ready.set(templateId, tpl);
      return info(tpl);
    } catch (err) {
      templates.delete(templateId);
      throw err;
    }
  }

  async function createFromSandbox(sandboxId: string, templateId: string, opts: CreateTemplateOptions): Promise<TemplateInfo> {
    checkNewId(templateId);
    const entry = running.get(sandboxId);
    if (!entry || entry.destroying) throw errors.notFound(`sandbox ${sandboxId} not found`);
    if (!entry.paused) throw errors.failedPrecondition(`sandbox ${sandboxId} must be paused to be snapshotted`);
    // Reserve the id at once so a concurrent create of the same template is refused.
    const making = templateFromSandbox({
      id: templateId,
      dir: join(options.templatesDir, templateId),
      sourceDir: entry.dir,
      sourceMachine: entry.machine,
      parentId: entry.handle.templateId,
      imageHash,
      envdToken: opts.envdToken,
      quiesced: opts.quiesced,
      // Undefined: the sandbox's template's defaults carry over (a snapshot of a build's sandbox keeps its user, workdir, env).
      defaults: opts.defaults ?? ready.get(entry.handle.templateId)?.defaults ?? { envs: {} },
      diskMiB: entry.handle.resources.diskMiB,
      disk: "copy",
      network,
      logger,
      signal: opts.signal,
    });
    // The parent must not go while we copy from it.
    const release = hold(entry.handle.templateId);
    try {
      return await add(templateId, making);
    } finally {
      release();
    }
  }

  function info(tpl: QemuTemplate): TemplateInfo {
    return {
      id: tpl.id,
      parentId: tpl.parentId,
      createdAt: tpl.createdAt,
      vcpus: tpl.spec.vcpus,
      memoryMiB: tpl.spec.memoryMiB,
      diskMiB: tpl.diskMiB,
      defaults: { ...tpl.defaults, envs: { ...tpl.defaults.envs } },
      diskBytes: tpl.diskBytes,
      users: usersOf(tpl.id),
      envdToken: tpl.envdToken,
      quiesced: tpl.quiesced,
    };
  }

  async function remove(templateId: string): Promise<void> {
    if (isBaseTemplateId(templateId)) throw errors.failedPrecondition("base templates cannot be deleted");
    const tpl = ready.get(templateId);
    if (!tpl) {
      if (templates.has(templateId)) throw errors.failedPrecondition(`template "${templateId}" is still being created`);
      throw errors.notFound(`template "${templateId}" not found`);
    }
    const users = usersOf(templateId);
    if (users > 0) throw errors.failedPrecondition(`template "${templateId}" is used by ${users} sandbox(es) or template(s)`);
    // Synchronously out of the maps: a create arriving now gets NOT_FOUND.
    ready.delete(templateId);
    templates.delete(templateId);
    await rm(tpl.dir, { recursive: true, force: true });
    logger.info({ template: templateId }, "template deleted");
  }


  async function removeUnusedBases(currentDir: string): Promise<void> {
    const inUse = new Set<string>();
    for (const entry of running.values()) inUse.add(dirname(entry.machine.memory.path));
    for (const tpl of ready.values()) {
      const parent = isBaseTemplateId(tpl.id) ? undefined : await backingDirOf(tpl.diskPath);
      if (parent) inUse.add(parent);
    }
    // Base templates of other sizes made from the current image stay: they are made once and kept.
    for (const name of await readdir(options.templatesDir).catch(() => [] as string[])) {
      if (!isBaseTemplateDirName(name)) continue;
      const record = await readTemplateRecord(join(options.templatesDir, name)).catch(() => undefined);
      if (record && record.imageHash === imageHash && record.recipe === baseTemplateRecipe) inUse.add(join(options.templatesDir, name));
    }
    await removeUnusedBaseTemplates(options.templatesDir, currentDir, inUse, logger).catch((err: unknown) => logger.warn({ err }, "could not remove old base templates"));
  }

  return {
    get,
    hold,
    ids: () => [...new Set([baseTemplateId, ...listedBaseSizes.filter((id) => parseBaseSize(id) !== undefined), ...templates.keys()])],
    has: (id) => templates.has(id) || isBaseTemplateId(id),
    add,
    checkNewId,
    info: () => [...ready.values()].map(info),
    load: loadSnapshotTemplates,
    createFromSandbox,
    remove,
    removeUnusedBases,
  };
}
