// An in-memory Scheduler for fast API tests: records what it was asked, runs nothing.
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../common/errors.ts';
import type { ClusterNode, Dyno, NodeAvailability, OneOffDyno, OneOffInfo, OneOffOutput, ReleaseSpec, Scheduler } from './types.ts';

export interface MemoryScheduler extends Scheduler {
  started: ReleaseSpec[];
  /** Makes the next start() fail with this error. */
  failNextStart(err: Error): void;
}

export function createMemoryScheduler(): MemoryScheduler {
  let dynos: Dyno[] = [];
  let nextFailure: Error | null = null;
  const started: ReleaseSpec[] = [];
  /** One pretend node, "memory", whose availability can be changed. */
  let availability: NodeAvailability = 'active';
  const node = (): ClusterNode => ({ id: 'memory', name: 'memory', address: '127.0.0.1', role: 'manager', state: 'ready', availability, dynos: dynos.length, self: true });
  return {
    started,
    failNextStart(err) { nextFailure = err; },
    async start(spec) {
      if (nextFailure) { const err = nextFailure; nextFailure = null; throw err; }
      started.push(spec);
      const created: Dyno[] = spec.processes.flatMap((p) => Array.from({ length: p.quantity }, (_, i): Dyno => ({
        id: randomUUID(), app: spec.app, name: `${p.type}.${i + 1}`, type: p.type, release: spec.release, state: 'up',
        host: p.type === 'web' ? '127.0.0.1' : null, port: p.type === 'web' ? 40000 + dynos.length + i : null,
        startedAt: new Date().toISOString(), node: 'memory',
      })));
      dynos.push(...created);
      return created;
    },
    async scale(spec, _log, syncRoutes) {
      const others = dynos.filter((d) => d.app !== spec.app || d.release !== spec.release);
      const mine = spec.processes.flatMap((p) => Array.from({ length: p.quantity }, (_, i): Dyno => {
        const existing = dynos.find((d) => d.app === spec.app && d.release === spec.release && d.name === `${p.type}.${i + 1}`);
        return existing ?? {
          id: randomUUID(), app: spec.app, name: `${p.type}.${i + 1}`, type: p.type, release: spec.release, state: 'up',
          host: p.type === 'web' ? '127.0.0.1' : null, port: p.type === 'web' ? 41000 + i : null, startedAt: new Date().toISOString(), node: 'memory',
        };
      }));
      const leaving = dynos.filter((d) => d.app === spec.app && d.release === spec.release && !mine.includes(d));
      for (const d of leaving) d.state = 'stopping';
      if (leaving.length) await syncRoutes?.();
      dynos = [...others, ...mine];
    },
    async run(spec, _opts, output) { output(`ran ${spec.command}\n`); return { name: 'run.1', exitCode: 0 }; },
    async createOneOff(spec, opts) {
      let index = 1;
      while (dynos.some((d) => d.app === spec.app && d.name === `run.${index}`)) index++;
      const info: OneOffInfo = { command: spec.command, size: opts.size, attached: opts.attached, tty: opts.tty !== null, deadline: opts.deadline };
      const dyno: Dyno = { id: randomUUID(), app: spec.app, name: `run.${index}`, type: 'run', release: spec.release, state: 'starting', host: null, port: null, startedAt: new Date().toISOString(), node: 'memory', oneOff: info };
      dynos.push(dyno);
      return fakeOneOff(dyno, info, () => { dynos = dynos.filter((d) => d !== dyno); });
    },
    oneOff(dyno) { return fakeOneOff(dyno, dyno.oneOff as OneOffInfo, () => { dynos = dynos.filter((d) => d.id !== dyno.id); }); },
    async restart(app, filter, syncRoutes) {
      const names = dynos.filter((d) => d.app === app && (!filter || d.name === filter || d.type === filter)).map((d) => d.name);
      await syncRoutes();
      return names;
    },
    async logs() { /* runs nothing, so prints nothing */ },
    async output(opts) { await new Promise((resolve) => opts.signal.addEventListener('abort', resolve, { once: true })); },
    async retire(app, keep, syncRoutes) {
      const leaving = dynos.filter((d) => d.app === app && d.release !== keep);
      if (leaving.length === 0) return;
      for (const d of leaving) d.state = 'stopping';
      await syncRoutes?.();
      dynos = dynos.filter((d) => !leaving.includes(d));
    },
    async list(app) { return dynos.filter((d) => !app || d.app === app); },
    async destroy(app) { dynos = dynos.filter((d) => d.app !== app); },
    nodes: async () => [node()],
    async setNodeAvailability(ref, to, syncRoutes) {
      if (ref !== 'memory') throw new NotFoundError(`No node ${ref} in the swarm.`);
      availability = to;
      await syncRoutes();
      return node();
    },
    onChange() { return () => undefined; },
    async close() { dynos = []; },
  };
}

/** A one-off that echoes its stdin to stdout and exits 0 at EOF (143 when stopped, 129 on hangup). */
function fakeOneOff(dyno: Dyno, info: OneOffInfo, remove: () => void): OneOffDyno {
  let output: OneOffOutput = () => undefined;
  let end: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => { end = resolve; });
  return {
    id: dyno.id, name: dyno.name, info,
    async start(out) { output = out; dyno.state = 'up'; },
    async write(chunk) { output('stdout', chunk); },
    pause() { /* output is synchronous */ },
    resume() { /* output is synchronous */ },
    closeStdin() { end(0); },
    async resize(cols, rows) { output('stdout', Buffer.from(`resized ${cols}x${rows}\n`)); },
    async hangup() { end(129); },
    async stop() { end(143); },
    async wait() { const code = await exited; remove(); return code; },
    async discard() { remove(); },
  };
}
