// What an app's buildpack list may hold (shared by the API, which checks it, and the builder,
// which fetches it): a buildpack shipped in buildpacks/ (by name, or heroku/NAME), a git URL
// (optionally #REF), or an absolute path on the build host.

/** The buildpacks in buildpacks/, in the order they are tried when an app names none. */
export const SHIPPED_BUILDPACKS = ['nodejs', 'python', 'procfile', 'static'] as const;
export type ShippedBuildpack = (typeof SHIPPED_BUILDPACKS)[number];

export type BuildpackRef =
  | { kind: 'shipped'; ref: string; name: ShippedBuildpack }
  | { kind: 'git'; ref: string; url: string; gitRef: string | null }
  | { kind: 'path'; ref: string; path: string };

export class BuildpackRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildpackRefError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

const GIT_URL = /^(https?|git|file):\/\/[^\s#]+$/;
const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const NAMESPACES = ['heroku/', 'heroku-community/', 'paas/'];

/** Parses one entry; throws BuildpackRefError with a message for the user. */
export function parseBuildpackRef(input: string): BuildpackRef {
  const ref = input.trim();
  if (ref === '' || ref.length > 1000 || /[\0\n\r]/.test(ref)) throw new BuildpackRefError(`Buildpack ${JSON.stringify(input)} is not valid.`);
  if (ref.startsWith('/')) {
    if (ref.split('/').includes('..')) throw new BuildpackRefError(`Buildpack path ${ref} must not contain "..".`);
    return { kind: 'path', ref, path: ref.replace(/\/+$/, '') || '/' };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
    const hash = ref.indexOf('#');
    const url = hash === -1 ? ref : ref.slice(0, hash);
    const gitRef = hash === -1 ? null : ref.slice(hash + 1);
    if (!GIT_URL.test(url)) throw new BuildpackRefError(`Buildpack URL ${ref} is not supported: use an http(s)://, git:// or file:// git URL.`);
    if (gitRef !== null && (!GIT_REF.test(gitRef) || gitRef.includes('..'))) throw new BuildpackRefError(`Buildpack URL ${ref} has an invalid #ref.`);
    return { kind: 'git', ref, url, gitRef };
  }
  const prefix = NAMESPACES.find((p) => ref.startsWith(p));
  const bare = prefix ? ref.slice(prefix.length) : ref;
  const name = SHIPPED_BUILDPACKS.find((n) => n === bare);
  if (!name) {
    throw new BuildpackRefError(`Buildpack ${JSON.stringify(ref)} is not available: use one of ${SHIPPED_BUILDPACKS.join(', ')}, a git URL or an absolute path.`);
  }
  return { kind: 'shipped', ref, name };
}

/** The lines of a `.buildpacks` file: one entry a line, blank lines and # comments skipped. */
export function parseBuildpacksFile(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Most buildpacks an app may list. */
export const MAX_BUILDPACKS = 16;
