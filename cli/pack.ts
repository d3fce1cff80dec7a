// Packs a source directory into a gzipped tarball for builds:create, leaving out what its
// .slugignore names (and .git). Symlinks are kept as links; other special files are skipped.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { isIgnored, parseIgnore } from './ignore.ts';

export async function packDirectory(dir: string, dest: string): Promise<{ files: number; ignored: number }> {
  let rules = parseIgnore('');
  try { rules = parseIgnore(fs.readFileSync(path.join(dir, '.slugignore'), 'utf8')); } catch { /* none */ }
  const pack = tar.pack();
  let files = 0;
  let ignored = 0;
  const write = pipeline(pack, zlib.createGzip(), fs.createWriteStream(dest, { mode: 0o600 }));

  const add = (header: tar.Headers, body?: Buffer | fs.ReadStream): Promise<void> => new Promise((resolve, reject) => {
    if (body instanceof fs.ReadStream) {
      const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      body.on('error', reject);
      body.pipe(entry);
    } else {
      pack.entry(header, body ?? '', (err) => (err ? reject(err) : resolve()));
    }
  });

  async function walk(rel: string): Promise<void> {
    const names = fs.readdirSync(path.join(dir, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, r);
      const st = fs.lstatSync(full);
      if (isIgnored(rules, r, st.isDirectory())) { ignored++; continue; }
      const base = { name: r, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isDirectory()) {
        await add({ ...base, type: 'directory' });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        await add({ ...base, type: 'symlink', linkname: fs.readlinkSync(full) });
      } else if (st.isFile()) {
        await add({ ...base, type: 'file', size: st.size }, fs.createReadStream(full));
        files++;
      }
    }
  }

  try {
    await walk('');
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await write;
  return { files, ignored };
}
