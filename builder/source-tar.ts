// Looks into the app's source tar on the host (with the tar program, nothing is executed):
// which files are at its root, and the text of a few of them (Dockerfile, Procfile, package.json).
import fs from 'node:fs/promises';
import { run } from './exec-file.ts';

export interface SourceTar {
  path: string;
  /** Normalised member name ("./a/b" -> "a/b") -> name as stored in the tar. */
  members: Map<string, string>;
}

export async function openSourceTar(tarPath: string): Promise<SourceTar> {
  await fs.access(tarPath).catch(() => {
    throw new Error(`source tar ${tarPath} does not exist`);
  });
  const { stdout } = await run('tar', ['-tf', tarPath], { timeoutMs: 120_000 });
  const members = new Map<string, string>();
  for (const name of stdout.split('\n')) {
    if (name === '') continue;
    const normal = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (normal !== '' && normal !== '.' && !members.has(normal)) members.set(normal, name);
  }
  return { path: tarPath, members };
}

export function hasFile(tar: SourceTar, name: string): boolean {
  return tar.members.has(name);
}

/** Text of a member (at most maxBytes), or null when the tar has no such member. */
export async function readFile(tar: SourceTar, name: string, maxBytes = 1024 * 1024): Promise<string | null> {
  const stored = tar.members.get(name);
  if (stored === undefined) return null;
  const { stdout } = await run('tar', ['-xOf', tar.path, '--', stored], { timeoutMs: 120_000 });
  return stdout.length > maxBytes ? stdout.slice(0, maxBytes) : stdout;
}
