// A 2 MB image for tests: the host's static busybox, its applets as symlinks in /bin,
// root and paas (uid 1000) users. Dockerfile test apps use `FROM paas/busybox:test`.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { run } from './exec-file.ts';
import { importRootfs } from './import-rootfs.ts';
import { imageExists } from './stack.ts';

export interface EnsureBusyboxImageOptions {
  docker: Dockerode;
  image: string;
  log: (line: string) => void;
  /** Path of a statically linked busybox on the host. */
  busybox?: string;
}

export async function ensureBusyboxImage(opts: EnsureBusyboxImageOptions): Promise<void> {
  if (await imageExists(opts.docker, opts.image)) return;
  const busybox = opts.busybox ?? '/bin/busybox';
  const rootfs = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-busybox-'));
  try {
    opts.log(`-----> Making ${opts.image} from ${busybox}`);
    const at = (p: string): string => path.join(rootfs, p);
    for (const dir of ['bin', 'etc', 'tmp', 'www', 'app', 'root']) await fs.mkdir(at(dir));
    await fs.chmod(at('tmp'), 0o1777);
    await fs.chown(at('app'), 1000, 1000).catch(() => {});
    await fs.copyFile(busybox, at('bin/busybox'));
    await fs.chmod(at('bin/busybox'), 0o755);
    const { stdout } = await run(busybox, ['--list']);
    for (const applet of stdout.split('\n').map((s) => s.trim())) {
      if (applet === '' || applet === 'busybox' || applet.includes('/')) continue;
      await fs.symlink('busybox', at(`bin/${applet}`));
    }
    await fs.writeFile(at('etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\npaas:x:1000:1000:paas:/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    await fs.writeFile(at('etc/group'), 'root:x:0:\npaas:x:1000:\nnogroup:x:65534:\n');
    await importRootfs({
      docker: opts.docker,
      source: { dir: rootfs },
      image: opts.image,
      changes: ['ENV PATH=/bin', 'LABEL paas=1', 'CMD ["/bin/sh"]'],
      message: 'paas busybox test image',
    });
  } finally {
    await fs.rm(rootfs, { recursive: true, force: true });
  }
}
