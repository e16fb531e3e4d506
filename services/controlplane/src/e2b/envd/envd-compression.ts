import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * The largest request message the face reads (after decompression). Connect's
 * default is 4 GiB, which lets one endless or inflated body fill the
 * controlplane's memory; the SDKs' largest messages (stdin chunks, paths) are
 * far below this.
 */
export const envdReadMaxBytes = 16 * 1024 * 1024;

/**
 * gzip for the face's Connect requests. connect-node's own maps every zlib
 * failure but Z_DATA_ERROR to `internal` (a cut or garbled stream is the
 * client's bytes, not a server fault): here a body that does not inflate is
 * invalid_argument, one that inflates past the limit resource_exhausted.
 */
export const envdGzip: Compression = {
  name: "gzip",
  async compress(bytes) {
    return new Uint8Array(await gzipAsync(bytes));
  },
  async decompress(bytes, readMaxBytes) {
    if (bytes.length === 0) return new Uint8Array(0);
    try {
      return new Uint8Array(await gunzipAsync(bytes, { maxOutputLength: readMaxBytes }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new ConnectError(`the message is larger than ${readMaxBytes} bytes after decompression`, Code.ResourceExhausted);
      }
      throw new ConnectError("the message is not valid gzip", Code.InvalidArgument);
    }
  },
};
