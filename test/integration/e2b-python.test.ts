import { describe, expect, it } from "vitest";
import { useE2bStack } from "../harness/e2b-stack.js";
import { runPythonScript } from "../harness/e2b-tls.js";

/**
 * The official PyPI `e2b` SDK (in .venv, pinned by scripts/install-codegen.sh)
 * against Wrenn, configured only through E2B_API_URL, E2B_SANDBOX_URL and
 * E2B_API_KEY. Each script in test/e2b-python has one purpose and runs with
 * either client (its argument: "sync" is `Sandbox`, "async" is
 * `AsyncSandbox`); both run at once on the file's one stack, each on
 * sandboxes of its own, and print what they saw as JSON.
 */
const e2b = useE2bStack();
const clients = ["sync", "async"] as const;
type Client = (typeof clients)[number];

/** What `script` printed with each client, run side by side. */
async function bothClients(script: string): Promise<Record<Client, Record<string, unknown>>> {
  const [sync, async] = await Promise.all(clients.map((client) => runPythonScript(script, e2b.env, { args: [client] })));
  return { sync, async } as Record<Client, Record<string, unknown>>;
}

describe("e2b Python SDK (sync Sandbox and async AsyncSandbox) with E2B_API_URL and E2B_SANDBOX_URL", () => {
  it("create with metadata, envs and a timeout; get_info; set_timeout; list by metadata one per page; kill True then False", async () => {
    for (const [client, seen] of Object.entries(await bothClients("lifecycle"))) {
      const info = seen.info as { timeout_s: number; metadata: Record<string, string> };
      expect(info.timeout_s, client).toBeGreaterThanOrEqual(119);
      expect(info.timeout_s, client).toBeLessThanOrEqual(122);
      expect(info.metadata.run, client).toMatch(new RegExp(`^${client}-`));
      expect(seen.seconds_left_after_set_timeout, client).toBeGreaterThan(580);
      expect(seen.seconds_left_after_set_timeout, client).toBeLessThanOrEqual(601);
      expect(seen, client).toMatchObject({
        info: { sandbox_id_matches: true, metadata: { n: "0" }, state: "running" },
        envs_stdout: "order 0\n",
        page_sizes: [1, 1, 1],
        listed_are_created: true,
        filtered_two_keys: ["1"],
        killed: [true, true, true],
        kill_again: false,
      });
    }
  });

  it("pause, then connect resumes it with a file and a background process intact", async () => {
    for (const [client, seen] of Object.entries(await bothClients("pause_resume"))) {
      expect(seen, client).toEqual({
        paused: true,
        state_while_paused: "paused",
        same_id: true,
        state_after_connect: "running",
        file: `kept across pause (${client})`,
        worker_listed: true,
        worker_still_ticking: true,
        killed: true,
      });
    }
  });

  it("commands.run: stdout, stderr, exit code and CommandExitException, envs, cwd, user root, timeout, on_stdout", async () => {
    for (const [client, seen] of Object.entries(await bothClients("commands"))) {
      expect(seen, client).toEqual({
        output: { stdout: "out\n", stderr: "err\n", exit_code: 0 },
        failed: { exit_code: 7, stdout: "partial\n", stderr: "failing\n" },
        envs: "sandbox-wide call-only",
        cwd: "/tmp",
        root: ["root", "/root"],
        timeout: "TimeoutException",
        on_stdout: "line1\nline2\nline3\n",
      });
    }
  });

  it("background commands: list, send_stdin, stream_input, close_stdin, connect by pid, kill", async () => {
    for (const [client, seen] of Object.entries(await bothClients("background"))) {
      expect(seen, client).toEqual({
        listed: { reader: true, sleeper_cmd: ["/bin/bash", "-l", "-c", "sleep 600"] },
        reader: { exit_code: 0, stdout: ["got:one", "got:two", "got:three", "got:four", "eof"] },
        joined: { exit_code: 0 },
        kill: true,
        sleeper_listed_after_kill: false,
        kill_again: false,
      });
    }
  });

  it("pty: create, send_stdin, resize (stty sees both sizes), exit code, kill", async () => {
    for (const [client, seen] of Object.entries(await bothClients("pty"))) {
      expect(seen, client).toEqual({ exit_code: 5, sizes: ["24 80", "40 132"], echoed_arithmetic: true, kill: true, listed_after_kill: false });
    }
  });

  it("files: text, bytes, file object, stream, write_files, list depth, make_dir, rename, get_info, remove, exists", async () => {
    for (const [client, seen] of Object.entries(await bothClients("files"))) {
      const root = `/tmp/files-${client}`;
      expect(seen, client).toEqual({
        write_info: { name: "text.txt", path: `${root}/text.txt`, type: "file" },
        text: "héllo text",
        bytes_equal: true,
        file_object: "from a file object",
        stream_equal: true,
        write_files: [`${root}/many/a.txt`, `${root}/many/deep/b.txt`],
        many_read: ["A", "B"],
        list_depth_1: ["a.txt", "deep"],
        list_depth_2: ["a.txt", "deep", "deep/b.txt"],
        make_dir: [true, false],
        rename: { path: `${root}/made/moved.txt`, old_exists: false, new_read: "héllo text" },
        get_info: { name: "bytes.bin", type: "file", size: 1024, path: `${root}/bytes.bin` },
        dir_type_is_dir: true,
        exists_after_remove: false,
        read_removed: "FileNotFoundException",
      });
    }
  });

  it("watch_dir: create, write and remove events (sync polls get_new_events, async streams on_event)", async () => {
    for (const [client, seen] of Object.entries(await bothClients("watch"))) {
      expect(seen, client).toEqual({ "new.txt": ["create", "remove", "write"], sub: ["create"] });
    }
  });

  it("get_host(port) reaches python3 -m http.server in the sandbox through the proxy at <port>-<id>.localhost", async () => {
    const seen = await bothClients("get_host");
    expect(seen.sync).toEqual({ host_form: "8000-<id>.localhost", answer: { status: 200, body: "served to the sync client" } });
    expect(seen.async).toEqual({ host_form: "8001-<id>.localhost", answer: { status: 200, body: "served to the async client" } });
  });

  it("errors are the SDK's types: NotFoundException, AuthenticationException, TimeoutException", async () => {
    for (const [client, seen] of Object.entries(await bothClients("errors"))) {
      expect(seen, client).toEqual({
        missing_file: "NotFoundException",
        unknown_pid: "NotFoundException",
        command_timeout: "TimeoutException",
        wrong_key_create: "AuthenticationException",
        wrong_key_list: "AuthenticationException",
        gone_get_info: "NotFoundException",
        gone_connect: "NotFoundException",
        unknown_id_get_info: "NotFoundException",
      });
    }
  });
});
