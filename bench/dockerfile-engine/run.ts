// Warm Dockerfile build cost of the build engine (builder/build-engine.ts) against building on
// the run engine, interleaved so that load on a shared machine hits both alike: 8 warm builds
// each (a one-line change, a cached RUN step, COPY), timed to "Pushing" (build) and to the end
// (push, and on the build engine the run engine's pull). The first build of each is left out
// (base image copy, cold cache). Needs the build engine (bin/setup build-engine), dockerd, the
// registry, the stack image.   node bench/dockerfile-engine/run.ts
import Dockerode from 'dockerode';
import * as t from '../../builder/builder.test-support.ts';
import { connectBuildEngine } from '../../builder/build-engine.ts';
const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const modes = { run: t.buildHarness({ config, docker, buildDocker: null }), engine: t.buildHarness({ config, docker, buildDocker: connectBuildEngine(config) }) };
const apps = { run: t.uniqueName('timing'), engine: t.uniqueName('timing') };
const res: Record<string, { total: number[]; build: number[]; ship: number[] }> = { run: { total: [], build: [], ship: [] }, engine: { total: [], build: [], ship: [] } };
for (let i = 0; i < 9; i++) {
  for (const mode of ['run', 'engine'] as const) {
    const files = { Dockerfile: 'FROM paas/stack:1\nUSER root\nRUN echo deps > /deps && sleep 0.2\nCOPY . /app\nCMD ["sh", "-c", "sleep 1000"]\n', 'server.js': `// v${i}\n` };
    const t0 = performance.now();
    let tp = 0;
    const b = await modes[mode].build(files, { app: apps[mode] });
    const timer = setInterval(() => { if (!tp && b.lines.some((l) => l.startsWith('-----> Pushing'))) tp = performance.now(); }, 5);
    await b.result;
    clearInterval(timer);
    const t1 = performance.now();
    if (i === 0) continue; // first: base image copy / cold cache
    res[mode].total.push((t1 - t0) / 1000); res[mode].build.push((tp - t0) / 1000); res[mode].ship.push((t1 - tp) / 1000);
  }
}
for (const h of Object.values(modes)) await h.cleanup();
const med = (a: number[]): string => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(2);
for (const [m, r] of Object.entries(res)) console.log(`${m}: warm median total ${med(r.total)} s (build ${med(r.build)} s, push+pull ${med(r.ship)} s) over ${r.total.length}`);
