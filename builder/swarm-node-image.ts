// The image of a Swarm node in a container (test/helpers/swarm-cluster.ts, the swarm benches):
// the stack build image plus Debian's docker.io, iptables and socat, made with apt-get in a
// container and `docker commit` (no registry to pull from here). Its entrypoint starts socat
// on 127.0.0.1:<registry port> towards the platform's registry relay (REGISTRY_RELAY=host:port),
// so the node pulls `127.0.0.1:5000/app:vN` as the manager does, then runs dockerd.
// The image carries the hash of its recipe; an image from another recipe is made again.
//   node builder/swarm-node-image.ts [--force]
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { loadConfig } from '../common/config.ts';
import { demuxDockerLog } from '../controller/scheduler/docker-logs.ts';
import { withDirLock } from './dir-lock.ts';

export const SWARM_NODE_IMAGE = 'paas/swarm-node:1';
const KEY_LABEL = 'paas.swarm-node.key';

const ENTRYPOINT = `#!/bin/sh
# A Docker engine as a swarm node. REGISTRY_RELAY=host:port: 127.0.0.1:REGISTRY_PORT (5000)
# forwards there, so the node reaches the platform's registry at the address the manager uses.
set -e
if [ -n "$REGISTRY_RELAY" ]; then
  socat "TCP-LISTEN:\${REGISTRY_PORT:-5000},bind=127.0.0.1,fork,reuseaddr" "TCP:$REGISTRY_RELAY" &
fi
exec dockerd "$@"
`;

const SCRIPT = [
  'set -e',
  'export DEBIAN_FRONTEND=noninteractive',
  'apt-get update -q',
  'apt-get install -y -q --no-install-recommends docker.io iptables socat ca-certificates',
  'apt-get clean',
  'rm -rf /var/lib/apt/lists/*',
  `printf '%s' '${ENTRYPOINT.replaceAll("'", "'\\''")}' > /usr/local/bin/swarm-node`,
  'chmod 755 /usr/local/bin/swarm-node',
].join('\n');

export const swarmNodeKey = (baseImageId: string): string => createHash('sha256').update(`${baseImageId}\n${SCRIPT}`).digest('hex').slice(0, 16);

/** Makes the node image from the stack build image unless an image of this recipe exists. */
export async function ensureSwarmNodeImage(opts: { docker: Dockerode; baseImage: string; log: (line: string) => void; force?: boolean }): Promise<string> {
  const { docker } = opts;
  const key = swarmNodeKey((await docker.getImage(opts.baseImage).inspect()).Id);
  const current = async (): Promise<boolean> => {
    const info = await docker.getImage(SWARM_NODE_IMAGE).inspect().catch(() => null);
    return info?.Config?.Labels?.[KEY_LABEL] === key;
  };
  if (!opts.force && (await current())) return SWARM_NODE_IMAGE;
  return withDirLock(path.join(os.tmpdir(), 'paas-swarm-node-image.lock'), async () => {
    if (!opts.force && (await current())) return SWARM_NODE_IMAGE;
    opts.log(`-----> Making ${SWARM_NODE_IMAGE} (${opts.baseImage} + docker.io, iptables, socat)`);
    const c = await docker.createContainer({
      Image: opts.baseImage, User: '0', Entrypoint: ['/bin/sh', '-c'], Cmd: [SCRIPT], WorkingDir: '/',
      Labels: { 'paas.swarm-node.build': '1' },
    });
    try {
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      if (StatusCode !== 0) {
        const out = demuxDockerLog((await c.logs({ stdout: true, stderr: true, tail: 30 })) as unknown as Buffer);
        throw new Error(`making ${SWARM_NODE_IMAGE} failed (exit ${StatusCode}):\n${out}`);
      }
      const [repo, tag] = SWARM_NODE_IMAGE.split(':');
      await c.commit({
        repo, tag,
        changes: ['USER 0', 'WORKDIR /', 'ENTRYPOINT ["/usr/local/bin/swarm-node"]', 'CMD []', `LABEL ${KEY_LABEL}=${key}`],
      } as object);
    } finally {
      await c.remove({ force: true }).catch(() => undefined);
    }
    return SWARM_NODE_IMAGE;
  });
}

if (import.meta.main) {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  const t0 = Date.now();
  await ensureSwarmNodeImage({ docker, baseImage: config.stackBuildImage, log: (l) => console.log(l), force: process.argv.includes('--force') });
  console.log(`${SWARM_NODE_IMAGE} is ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
