// Where the builder mounts things inside build containers (see container/build.sh).
export const IN = {
  /** The shipped buildpacks, mounted read-only (runtime-image.ts runs their install scripts). */
  buildpacks: '/var/lib/paas/buildpacks',
  /** The build's own writable copies of its buildpacks, one directory per index (build-archive.ts). */
  buildpackCopies: '/tmp/buildpacks',
  scripts: '/var/lib/paas/builder',
  env: '/var/lib/paas/env',
  out: '/var/lib/paas/out',
  /** Where build.sh packs /app for the image (a host directory, read after the build exited). */
  slug: '/var/lib/paas/slug',
  runtimes: '/var/lib/paas/runtimes',
  extraCa: '/var/lib/paas/extra-ca.pem',
  cache: '/cache',
  app: '/app',
} as const;

/** ENTRYPOINT of every buildpack-built image (container/entry.sh, installed by build-app.sh). */
export const ENTRYPOINT = '/app/.paas/entry';
