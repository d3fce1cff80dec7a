// Source for builds made through the API (POST /apps/:app/builds, as Heroku): a tarball at a
// URL, gzipped or not. When every member sits in one top-level directory (GitHub and most
// CI tarballs), that directory is stripped, so the app's files end up at the root.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { InvalidParamsError } from '../../common/errors.ts';

const MAX_BYTES = 512 * 1024 * 1024;

function limit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(new InvalidParamsError(`source_blob is larger than ${max / 1024 / 1024} MiB.`));
      else cb(null, chunk);
    },
  });
}

/** Downloads the blob to `dest` as an uncompressed tar. */
export async function fetchSourceBlob(url: string, dest: string, timeoutMs = 5 * 60 * 1000): Promise<void> {
  let parsed: URL;
  try { parsed = new URL(url); } catch { throw new InvalidParamsError(`source_blob.url is not a URL: ${url}`); }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidParamsError('source_blob.url must be an http(s) URL.');
  let res: Response;
  try {
    res = await fetch(parsed, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new InvalidParamsError(`Could not download source_blob.url: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new InvalidParamsError(`Could not download source_blob.url: HTTP ${res.status}`);
  const raw = `${dest}.download`;
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), limit(MAX_BYTES), fs.createWriteStream(raw, { mode: 0o600 }));
    const head = Buffer.alloc(2);
    const fd = fs.openSync(raw, 'r');
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    const gz = head[0] === 0x1f && head[1] === 0x8b;
    const input = (): Readable => (gz ? fs.createReadStream(raw).pipe(zlib.createGunzip()) : fs.createReadStream(raw));
    const top = await commonTopDir(input());
    await rewrite(input(), dest, top);
  } catch (err) {
    fs.rmSync(dest, { force: true });
    if (err instanceof InvalidParamsError) throw err;
    throw new InvalidParamsError(`source_blob is not a readable tar archive: ${(err as Error).message}`);
  } finally {
    fs.rmSync(raw, { force: true });
  }
}

const clean = (name: string): string => name.replace(/^(\.\/)+/, '');

/** The single directory every member is inside, or null. */
async function commonTopDir(input: Readable): Promise<string | null> {
  const extract = tar.extract();
  let top: string | null | undefined;
  extract.on('entry', (header, stream, next) => {
    stream.resume();
    if (header.type !== 'pax-global-header') {
      const name = clean(header.name);
      const first = name.split('/')[0];
      const isDirEntry = header.type === 'directory' && name.replace(/\/$/, '') === first;
      if (!name.includes('/') && !isDirEntry) top = null;
      else if (top === undefined) top = first;
      else if (top !== first) top = null;
    }
    stream.on('end', next);
  });
  await pipeline(input, extract);
  return top ?? null;
}

async function rewrite(input: Readable, dest: string, top: string | null): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    if (header.type === 'pax-global-header') { stream.resume(); stream.on('end', next); return; }
    let name = clean(header.name);
    if (top) name = name.slice(top.length + 1);
    if (name === '' || name === '/') { stream.resume(); stream.on('end', next); return; }
    const linkname = top && header.type === 'link' && header.linkname?.startsWith(`${top}/`) ? header.linkname.slice(top.length + 1) : header.linkname;
    const entry = pack.entry({ ...header, name, linkname }, next);
    stream.pipe(entry);
  });
  extract.on('finish', () => pack.finalize());
  await Promise.all([pipeline(input, extract), pipeline(pack, fs.createWriteStream(dest, { mode: 0o600 }))]);
}
