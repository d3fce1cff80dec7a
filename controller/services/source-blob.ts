// Source for builds made through the API (POST /apps/:app/builds, as Heroku): a tarball at a
// URL, gzipped or not. When every member sits in one top-level directory (GitHub and most
// CI tarballs), that directory is stripped, so the app's files end up at the root.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { InvalidParamsError, errorMessage } from '../../common/errors.ts';
import { fetchAllowed, UrlPolicyError, type UrlPolicy } from '../../common/url-policy.ts';

const MiB = 1024 * 1024;

function limit(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(new InvalidParamsError(`${what} is larger than ${Math.round(max / MiB)} MiB.`));
      else cb(null, chunk);
    },
  });
}

export interface SourceBlobOptions {
  /** Which addresses the URL may reach (tenant URL: no private ones unless the operator allows). */
  policy: UrlPolicy;
  timeoutMs?: number;
  /** Most bytes downloaded. */
  maxBytes?: number;
  /** Most bytes once decompressed (a gzip bomb is small when downloaded). */
  maxUnpackedBytes?: number;
}

/** first.pipe(a).pipe(b)…, with an error anywhere reaching the last stream. */
function chain(first: Readable, ...rest: Transform[]): Readable {
  let out = first;
  for (const t of rest) {
    out.on('error', (err) => t.destroy(err));
    out = out.pipe(t);
  }
  return out;
}

/** Downloads the blob to `dest` as an uncompressed tar. */
export async function fetchSourceBlob(url: string, dest: string, opts: SourceBlobOptions): Promise<void> {
  const maxBytes = opts.maxBytes ?? 512 * MiB;
  const maxUnpacked = opts.maxUnpackedBytes ?? 2048 * MiB;
  try { new URL(url); } catch { throw new InvalidParamsError(`source_blob.url is not a URL: ${url}`); }
  if (!/^https?:/i.test(url)) throw new InvalidParamsError('source_blob.url must be an http(s) URL.');
  let fetched: Awaited<ReturnType<typeof fetchAllowed>>;
  try {
    fetched = await fetchAllowed(url, { policy: opts.policy, signal: AbortSignal.timeout(opts.timeoutMs ?? 5 * 60 * 1000) });
  } catch (err) {
    if (err instanceof UrlPolicyError) throw new InvalidParamsError(`source_blob.url: ${err.message}`);
    throw err;
  }
  const { response: res, close } = fetched;
  const raw = `${dest}.download`;
  try {
    // Only the status: the body of an error page is not shown (it could be anything that answered).
    if (!res.ok || !res.body) throw new InvalidParamsError(`Could not download source_blob.url: HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), limit(maxBytes, 'source_blob'), fs.createWriteStream(raw, { mode: 0o600 }));
    await normalizeSourceTar(raw, dest, maxUnpacked);
  } catch (err) {
    if (err instanceof InvalidParamsError) throw err;
    throw new InvalidParamsError(`Could not download source_blob.url: ${errorMessage(err)}`);
  } finally {
    fs.rmSync(raw, { force: true });
    await close();
  }
}

/** Writes the tarball `raw` (gzipped or not) to `dest` as an uncompressed tar, its common top directory stripped. */
export async function normalizeSourceTar(raw: string, dest: string, maxUnpacked = 2048 * MiB): Promise<void> {
  try {
    const head = Buffer.alloc(2);
    const fd = fs.openSync(raw, 'r');
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    const gz = head[0] === 0x1f && head[1] === 0x8b;
    const input = (): Readable =>
      chain(fs.createReadStream(raw), ...(gz ? [zlib.createGunzip()] : []), limit(maxUnpacked, 'source_blob unpacked'));
    const top = await commonTopDir(input());
    await rewrite(input(), dest, top);
  } catch (err) {
    fs.rmSync(dest, { force: true });
    if (err instanceof InvalidParamsError) throw err;
    throw new NotATarballError(`source_blob is not a readable tar archive: ${errorMessage(err)}`);
  }
}

/** The source arrived but is not a tar archive (gzipped or not). */
export class NotATarballError extends InvalidParamsError {}

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
