// `tar -C DIR -c . | docker import`: turns a root filesystem directory into a one-layer image.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import { followDockerStream } from './docker-stream.ts';

export interface ImportRootfsOptions {
  docker: Dockerode;
  /** Directory to import, or an existing tar file of it. */
  source: { dir: string } | { tarFile: string };
  image: string;
  /** Dockerfile instructions applied at import (ENV, WORKDIR, USER, LABEL, ...). */
  changes: string[];
  message?: string;
}

export async function importRootfs(opts: ImportRootfsOptions): Promise<void> {
  const { repo, tag } = splitImageRef(opts.image);
  const query = { repo, tag, changes: opts.changes, message: opts.message ?? '' };
  if ('tarFile' in opts.source) {
    const response = await opts.docker.importImage(fs.createReadStream(opts.source.tarFile), query as object);
    await followDockerStream(response, () => {});
    return;
  }
  const args = ['--numeric-owner', '-C', opts.source.dir, '-c', '.'];
  const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', resolve);
  });
  const response = await opts.docker.importImage(tar.stdout, query as object);
  await followDockerStream(response, () => {});
  const code = await exited;
  if (code !== 0) throw new Error(`tar ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
}

/** "host:5000/name:tag" -> { repo: "host:5000/name", tag: "tag" }; tag defaults to "latest". */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: 'latest' };
}
