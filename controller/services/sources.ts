// Source uploads (Heroku's POST /apps/:app/sources): the platform hands out a signed, expiring
// put_url and get_url and serves both itself. Each URL works once: a put_url takes one upload,
// a get_url one build (downloads by it work until then). Uploads live under $PAAS_DATA_DIR/sources/uploads/<id>
// and are removed when a build takes them, or when they expire (sweep()).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { ForbiddenError, NotFoundError, PaasError } from '../../common/errors.ts';

export class PayloadTooLargeError extends PaasError {
  constructor(max: number) { super('payload_too_large', 413, `The upload is larger than the limit of ${max} bytes.`); }
}

export type SourceOp = 'put' | 'get';
export interface SignedUrl { op: SourceOp; expires: number; signature: string }
export interface SourceUrls { put_url: string; get_url: string; expires_at: string; max_bytes: number }
interface Meta { id: string; app_id: string; expires: number }

export interface SourceStore {
  create(appId: string, baseUrl: string): SourceUrls;
  /** Takes one upload for a put_url: 403 when expired, forged or used; 413 over the limit. */
  receive(id: string, signed: SignedUrl, body: IncomingMessage): Promise<{ id: string; size: number }>;
  /** The uploaded file for a get_url (download; does not use it up), or 403/404. */
  blob(id: string, signed: SignedUrl): string;
  /** If `url` is a get_url of this platform: claims it for a build of `appId` (once) and returns the file; else null. */
  claim(url: string, appId: string): string | null;
  remove(id: string): void;
  /** Removes uploads past their expiry. */
  sweep(): number;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Bytes of an over-limit body read and thrown away so the client sees the 413 (then the socket is closed). */
const DRAIN_MAX = 16 * 1024 * 1024;

export function createSourceStore(opts: { dataDir: string; secret: string; maxBytes: () => number; ttlSec: () => number; now?: () => number }): SourceStore {
  const root = path.join(opts.dataDir, 'sources', 'uploads');
  const key = createHmac('sha256', opts.secret).update('paas source urls').digest();
  const now = opts.now ?? Date.now;
  const dirOf = (id: string): string => path.join(root, id);
  const sign = (id: string, op: SourceOp, expires: number): string => createHmac('sha256', key).update(`${id}.${op}.${expires}`).digest('hex');

  const denied = () => new ForbiddenError('This source URL is expired, used or not valid: create a new one (POST /apps/{app}/sources).');

  function readMeta(id: string): Meta | null {
    if (!ID.test(id)) return null;
    try { return JSON.parse(fs.readFileSync(path.join(dirOf(id), 'meta.json'), 'utf8')) as Meta; } catch { return null; }
  }

  /** The source's metadata if the signature is ours and not expired; otherwise 403. */
  function verify(id: string, signed: SignedUrl): Meta {
    const meta = readMeta(id);
    const expected = meta ? Buffer.from(sign(id, signed.op, signed.expires)) : null;
    const given = Buffer.from(String(signed.signature));
    if (!meta || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) throw denied();
    if (signed.expires !== meta.expires || meta.expires * 1000 <= now()) throw denied();
    return meta;
  }

  /** Takes the op's one use (an atomic mkdir); a second use is 403. */
  function take(id: string, op: SourceOp): void {
    try { fs.mkdirSync(path.join(dirOf(id), `${op}.used`)); } catch { throw denied(); }
  }

  function urls(base: string, id: string, expires: number): SourceUrls {
    const url = (op: SourceOp) => `${base}/sources/${id}?op=${op}&expires=${expires}&signature=${sign(id, op, expires)}`;
    return { put_url: url('put'), get_url: url('get'), expires_at: new Date(expires * 1000).toISOString(), max_bytes: opts.maxBytes() };
  }

  function remove(id: string): void {
    if (ID.test(id)) fs.rmSync(dirOf(id), { recursive: true, force: true });
  }

  return {
    create(appId, baseUrl) {
      const id = randomUUID();
      const expires = Math.floor(now() / 1000) + opts.ttlSec();
      fs.mkdirSync(dirOf(id), { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dirOf(id), 'meta.json'), JSON.stringify({ id, app_id: appId, expires } satisfies Meta), { mode: 0o600 });
      return urls(baseUrl.replace(/\/+$/, ''), id, expires);
    },

    async receive(id, signed, body) {
      if (signed.op !== 'put') throw denied();
      verify(id, signed);
      take(id, 'put');
      const max = opts.maxBytes();
      const file = path.join(dirOf(id), 'blob');
      const release = () => { fs.rmSync(file, { force: true }); fs.rmSync(path.join(dirOf(id), 'put.used'), { recursive: true, force: true }); };
      const declared = Number(body.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) { release(); throw new PayloadTooLargeError(max); }
      const out = fs.createWriteStream(file, { mode: 0o600 });
      let size = 0;
      let over = false;
      try {
        await new Promise<void>((resolve, reject) => {
          body.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (!over && size > max) { over = true; out.destroy(); fs.rmSync(file, { force: true }); }
            if (over) { if (size > max + DRAIN_MAX) { body.destroy(); resolve(); } return; }
            if (!out.write(chunk)) { body.pause(); out.once('drain', () => body.resume()); }
          });
          body.on('end', () => resolve());
          body.on('error', reject);
          body.on('close', () => { if (!body.complete && !over) reject(new PaasError('upload_aborted', 400, 'The upload was interrupted.')); });
          out.on('error', (err) => { if (!over) reject(err); });
        });
        if (over) throw new PayloadTooLargeError(max);
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        fs.writeFileSync(path.join(dirOf(id), 'uploaded'), String(size));
      } catch (err) {
        out.destroy();
        release();
        throw err;
      }
      return { id, size };
    },

    blob(id, signed) {
      if (signed.op !== 'get') throw denied();
      const file = path.join(dirOf(id), 'blob');
      verify(id, signed);
      if (!fs.existsSync(path.join(dirOf(id), 'uploaded')) || fs.existsSync(path.join(dirOf(id), 'get.used'))) throw new NotFoundError('Nothing was uploaded to this source, or it was built already.');
      return file;
    },

    claim(url, appId) {
      let parsed: URL;
      try { parsed = new URL(url); } catch { return null; }
      const m = /^\/sources\/([^/]+)$/.exec(parsed.pathname);
      const q = parsed.searchParams;
      if (!m || !q.has('signature') || q.get('op') !== 'get') return null;
      const id = m[1];
      const meta = verify(id, { op: 'get', expires: Number(q.get('expires')), signature: q.get('signature') ?? '' });
      if (meta.app_id !== appId) throw new ForbiddenError('This source was made for another app.');
      if (!fs.existsSync(path.join(dirOf(id), 'uploaded'))) throw new ForbiddenError('Nothing was uploaded to this source: PUT the tarball to its put_url first.');
      take(id, 'get');
      return path.join(dirOf(id), 'blob');
    },

    remove,

    sweep() {
      let removed = 0;
      let ids: string[] = [];
      try { ids = fs.readdirSync(root); } catch { return 0; }
      for (const id of ids) {
        const meta = readMeta(id);
        const stale = meta ? meta.expires * 1000 <= now() : fs.statSync(dirOf(id)).mtimeMs < now() - 24 * 3600 * 1000;
        if (stale) { remove(id); removed++; }
      }
      return removed;
    },
  };
}
