// Bundles the dashboard (dashboard/ui, preact + htm + uPlot from node_modules) into
// dashboard/dist/app.js and app.css with esbuild: served by paasd, no CDN, works offline.
// bin/setup runs it when the bundle is missing or older than its sources; the browser test too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../dashboard/', import.meta.url));
export const DASHBOARD_DIST = path.join(root, 'dist');

/** Writes dist/app.js and dist/app.css; returns their paths. */
export async function buildDashboard(outDir = DASHBOARD_DIST): Promise<string[]> {
  // esbuild is a devDependency: only imported to build.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(root, 'ui/main.ts') },
    bundle: true, minify: true, format: 'esm', target: 'es2022', platform: 'browser',
    outdir: outDir, write: true, metafile: true, logLevel: 'warning',
  });
  return Object.keys(result.metafile?.outputs ?? {});
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.mkdirSync(DASHBOARD_DIST, { recursive: true });
  for (const f of await buildDashboard()) console.log(`wrote ${f} (${fs.statSync(f).size} bytes)`);
}
