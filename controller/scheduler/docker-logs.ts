// Docker's multiplexed log format (non-TTY containers): 8-byte frame headers
// [stream, 0, 0, 0, size(4 bytes BE)] followed by `size` bytes of payload.

export function demuxDockerLog(buf: Buffer): string {
  let out = '';
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    out += buf.subarray(off + 8, off + 8 + size).toString('utf8');
    off += 8 + size;
  }
  // Not multiplexed (TTY container): return as is.
  return off === 0 ? buf.toString('utf8') : out;
}
