// What a buildpack build container gets before it starts, as tar files whose members belong to
// the paas user: the app's source, and writable copies of the buildpacks. Docker extracts an
// archive with the owners its headers name, so nothing inside the container has to chown: the
// whole build runs as the paas user, with no root step and no capabilities.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** The paas user of the stack images (uid and gid). */
export const PAAS_UID = 1000;

type Header = tar.Headers & { pax?: Record<string, string> };

function owned(header: Header): Header {
  const h: Header = { ...header, uid: PAAS_UID, gid: PAAS_UID, uname: 'paas', gname: 'paas' };
  if (h.pax) {
    const { uid: _u, gid: _g, uname: _un, gname: _gn, ...rest } = h.pax;
    h.pax = rest;
  }
  return h;
}

/** Member types an app's source may have; others (device nodes, fifos) are left out. */
const KEPT = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link']);

/** Writes the tar `from` to `to` with every member owned by the paas user (names, modes, links,
 *  contents kept; special files left out). The tar is the tenant's: it is only read and written
 *  again, never unpacked here. */
export async function writeOwnedCopy(from: string, to: string): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    if (!KEPT.has(header.type ?? 'file')) { // a device node, fifo…: nothing an app's source needs
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    const entry = pack.entry(owned(header), (err) => next(err ?? undefined));
    if (header.type === 'file' || header.type === 'contiguous-file') stream.pipe(entry);
    else stream.resume();
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (err) => pack.destroy(err));
  await Promise.all([
    pipeline(fs.createReadStream(from), extract),
    pipeline(pack, fs.createWriteStream(to, { mode: 0o600 })),
  ]);
}

/** Writes a tar of the directories `dirs` as `<root>/<index>/…`, owned by the paas user and
 *  writable by it (buildpacks may write into their own directory). Symlinks are stored as
 *  symlinks, never followed; other special files are left out. */
export async function writeDirsArchive(dirs: string[], root: string, to: string): Promise<void> {
  const pack = tar.pack();
  const add = (header: Header, body?: fs.ReadStream): Promise<void> =>
    new Promise((resolve, reject) => {
      const entry = pack.entry(owned(header), (err) => (err ? reject(err) : resolve()));
      if (body) {
        body.on('error', (err) => { entry.destroy(err); reject(err); });
        body.pipe(entry);
      } else if (header.type === 'file') {
        entry.end();
      }
    });
  const walk = async (dir: string, name: string): Promise<void> => {
    for (const child of (await fs.promises.readdir(dir)).sort()) {
      const file = path.join(dir, child);
      const member = `${name}/${child}`;
      const st = await fs.promises.lstat(file);
      if (st.isDirectory()) {
        await add({ name: `${member}/`, type: 'directory', mode: (st.mode & 0o7777) | 0o700, mtime: st.mtime });
        await walk(file, member);
      } else if (st.isFile()) {
        const body = st.size > 0 ? fs.createReadStream(file, { start: 0, end: st.size - 1 }) : undefined;
        await add({ name: member, type: 'file', size: st.size, mode: (st.mode & 0o7777) | 0o600, mtime: st.mtime }, body);
      } else if (st.isSymbolicLink()) {
        await add({ name: member, type: 'symlink', linkname: await fs.promises.readlink(file), mode: 0o777, mtime: st.mtime });
      }
    }
  };
  const written = pipeline(pack, fs.createWriteStream(to, { mode: 0o600 }));
  try {
    await add({ name: `${root}/`, type: 'directory', mode: 0o755 });
    for (const [i, dir] of dirs.entries()) {
      await add({ name: `${root}/${i}/`, type: 'directory', mode: 0o755 });
      await walk(dir, `${root}/${i}`);
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await written;
}
