// The Scheduler's behaviour as one suite, run against every driver: the in-memory fake
// (memory-scheduler.test.ts), the local Docker engine (docker-scheduler.test.ts) and a real
// Docker Swarm (swarm-scheduler.test.ts). Real drivers also prove that web dynos answer at the
// host and port they report, that commands run and that output is kept.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probe } from './health.ts';
import type { Dyno, DynoOutputLine, ImageKind, ReleaseSpec, Scheduler } from './types.ts';

export interface ContractTarget {
  scheduler: Scheduler;
  app: string;
  /** Image of release n (the same program for every release is fine). */
  image(release: number): string;
  kind: ImageKind;
  /** Whether dynos really run (HTTP, commands, output). */
  real: boolean;
  /** Makes the next start() fail as a release whose web dyno never gets healthy would. */
  breakNextStart(spec: ReleaseSpec): ReleaseSpec;
}

/** A web dyno that prints a line, then serves its name on $PORT; a worker that prints and waits. */
export const WEB = 'echo "booting $DYNO"; mkdir -p /tmp/w && echo "$DYNO" > /tmp/w/index.html && exec httpd -f -p $PORT -h /tmp/w';
export const WORKER = 'echo "working $DYNO"; exec sleep 1000';
export const BROKEN = 'echo "cannot boot"; exit 3';

/** The target of a real driver: a busybox image pushed as <registry>/<app>:v1..v3; a broken
 *  release's web dyno exits at once. */
export function realTarget(scheduler: () => Scheduler, app: string, registry: string): () => ContractTarget {
  return () => ({
    scheduler: scheduler(),
    app,
    image: (n) => `${registry}/${app}:v${n}`,
    kind: 'dockerfile',
    real: true,
    breakNextStart: (spec) => ({ ...spec, processes: spec.processes.map((p) => (p.command === WEB ? { ...p, command: BROKEN } : p)) }),
  });
}

const names = (dynos: Dyno[]): string[] => dynos.map((d) => `${d.name}@v${d.release}`).sort();
const noop = (): void => undefined;

export function schedulerContract(driver: string, target: () => ContractTarget): void {
  describe(`Scheduler contract: ${driver}`, () => {
    const spec = (release: number, web: number, worker = 0): ReleaseSpec => {
      const t = target();
      return {
        app: t.app, release, image: t.image(release), kind: t.kind, env: { GREETING: 'hi' }, memoryMb: 128,
        processes: [{ type: 'web', command: WEB, quantity: web }, ...(worker ? [{ type: 'worker', command: WORKER, quantity: worker }] : [])],
        checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 0 },
      };
    };
    const list = async (): Promise<Dyno[]> => target().scheduler.list(target().app);

    test('start runs every dyno of the release; web dynos answer at the host and port they report, on a node', async () => {
      const { scheduler, real } = target();
      const started = await scheduler.start(spec(1, 2, 1), noop);
      assert.deepEqual(names(started), ['web.1@v1', 'web.2@v1', 'worker.1@v1']);
      const dynos = await list();
      assert.deepEqual(names(dynos), ['web.1@v1', 'web.2@v1', 'worker.1@v1']);
      for (const d of dynos) {
        assert.equal(d.state, 'up', `${d.name} is ${d.state}`);
        assert.ok(d.node, `${d.name} has a node`);
        assert.equal(d.app, target().app);
        if (d.type === 'web') {
          assert.ok(d.host && d.port, `${d.name} is reachable`);
          if (real) assert.equal(await probe(d.host, d.port, '/'), 200);
        } else {
          assert.equal(d.port, null, 'only web dynos are routed');
        }
      }
      assert.deepEqual((await scheduler.list()).filter((d) => d.app === target().app).length, 3, 'list() without an app has them too');
    });

    test('a release whose web dyno never gets healthy fails and leaves nothing; the running release is untouched', async () => {
      const { scheduler } = target();
      const before = await list();
      await assert.rejects(scheduler.start(target().breakNextStart(spec(2, 1)), noop), /web\.1/);
      assert.deepEqual(names(await list()), names(before));
      assert.deepEqual((await list()).map((d) => d.id).sort(), before.map((d) => d.id).sort(), 'the same dynos still run');
    });

    test('scale starts the missing dynos and stops the surplus, highest numbers first, after syncRoutes', async () => {
      const { scheduler } = target();
      await scheduler.scale(spec(1, 3, 1), noop);
      assert.deepEqual(names(await list()), ['web.1@v1', 'web.2@v1', 'web.3@v1', 'worker.1@v1']);
      const kept = (await list()).find((d) => d.name === 'web.1')!.id;
      let seenDuringStop: string[] = [];
      await scheduler.scale(spec(1, 1, 0), noop, async () => {
        seenDuringStop = (await list()).filter((d) => d.state === 'stopping').map((d) => d.name).sort();
      });
      assert.deepEqual(seenDuringStop, ['web.2', 'web.3', 'worker.1'], 'the surplus is unroutable while syncRoutes drains it');
      const after = await list();
      assert.deepEqual(names(after), ['web.1@v1']);
      assert.equal(after[0].id, kept, 'web.1 was not restarted');
    });

    test('a new release starts beside the old one; retire drains and removes the old one', async () => {
      const { scheduler } = target();
      await scheduler.start(spec(3, 1), noop);
      assert.deepEqual(names(await list()), ['web.1@v1', 'web.1@v3']);
      let stopping: string[] = [];
      await scheduler.retire(target().app, 3, async () => {
        stopping = (await list()).filter((d) => d.state === 'stopping').map((d) => `${d.name}@v${d.release}`);
      });
      assert.deepEqual(stopping, ['web.1@v1']);
      assert.deepEqual(names(await list()), ['web.1@v3']);
    });

    test('restart replaces a web dyno: the new one is up and routed before the old one stops', async () => {
      const { scheduler, real } = target();
      const old = (await list())[0];
      const calls: string[][] = [];
      const restarted = await scheduler.restart(target().app, 'web.1', async () => {
        calls.push((await list()).map((d) => `${d.name} ${d.state}`).sort());
      });
      assert.deepEqual(restarted, ['web.1']);
      assert.ok(calls.length >= 1);
      const after = await list();
      assert.deepEqual(names(after), ['web.1@v3']);
      assert.equal(after[0].state, 'up');
      if (real) {
        assert.notEqual(after[0].id, old.id, 'a new dyno');
        assert.ok(calls.some((c) => c.includes('web.1 up') && c.length === 2), `both up while routing changed: ${JSON.stringify(calls)}`);
        assert.equal(await probe(after[0].host!, after[0].port!, '/'), 200);
      }
      assert.deepEqual(await scheduler.restart(target().app, 'web.9', async () => undefined), [], 'no such dyno: nothing restarted');
    });

    test('run: attached returns the output and exit code; detached returns the dyno name at once', async () => {
      const { scheduler, real } = target();
      let out = '';
      const run = { app: target().app, release: 3, image: target().image(3), kind: target().kind, env: { GREETING: 'hi' }, memoryMb: 64 };
      const attached = await scheduler.run({ ...run, command: 'echo "$GREETING from $DYNO"; exit 0' }, { attach: true, signal: new AbortController().signal }, (c) => { out += c; });
      assert.equal(attached.exitCode, 0);
      assert.match(attached.name, /^run\.\d+$/);
      if (!real) return;
      assert.match(out, /hi from run\.\d+/);
      const failed = await scheduler.run({ ...run, command: 'exit 7' }, { attach: true, signal: new AbortController().signal }, noop);
      assert.equal(failed.exitCode, 7);
      const detached = await scheduler.run({ ...run, command: 'sleep 1' }, { attach: false, signal: new AbortController().signal }, noop);
      assert.equal(detached.exitCode, null);
      assert.match(detached.name, /^run\.\d+$/);
      assert.deepEqual(names((await list()).filter((d) => d.type === 'web')), ['web.1@v3'], 'one-offs are never web dynos');
    });

    test('createOneOff: listed with its command before it starts; stdin, stdout and stderr apart, EOF and exit status; a TTY; stop', async () => {
      const { scheduler, real } = target();
      const run = { app: target().app, release: 3, image: target().image(3), kind: target().kind, env: { GREETING: 'hi' }, memoryMb: 64 };
      const opts = { tty: null, attached: true, size: 'standard-1X', deadline: Date.now() + 60_000 };
      const piped = await scheduler.createOneOff({ ...run, command: 'cat; echo "$GREETING" >&2; exit 4' }, opts);
      const listed = (await list()).find((d) => d.name === piped.name);
      assert.equal(listed?.oneOff?.command, 'cat; echo "$GREETING" >&2; exit 4');
      assert.equal(listed?.oneOff?.attached, true);
      const out = { stdout: '', stderr: '' };
      await piped.start((stream, chunk) => { out[stream] += chunk.toString('utf8'); });
      piped.write(Buffer.from('typed\n'));
      piped.closeStdin();
      const code = await piped.wait();
      if (!real) return;
      assert.equal(code, 4);
      assert.deepEqual(out, { stdout: 'typed\n', stderr: 'hi\n' });
      assert.equal((await list()).find((d) => d.name === piped.name), undefined, 'removed when it ended');

      const tty = await scheduler.createOneOff({ ...run, command: '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; sleep 300' }, { ...opts, tty: { cols: 91, rows: 17 } });
      let screen = '';
      await tty.start((_s, chunk) => { screen += chunk.toString('utf8'); });
      for (let i = 0; i < 100 && !screen.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(screen, 'on-a-tty\r\n', 'a terminal turns \\n into \\r\\n');
      const other = scheduler.oneOff((await list()).find((d) => d.name === tty.name)!);
      await other.stop(1);
      assert.notEqual(await tty.wait(), 0);
      assert.equal((await list()).find((d) => d.name === tty.name), undefined);
    });

    test('logs returns the last lines of the dynos, oldest first, by dyno', async () => {
      const { scheduler, real } = target();
      if (!real) return;
      const lines: string[] = [];
      for (let i = 0; i < 50 && !lines.some((l) => l === 'web.1 booting web.1'); i++) {
        lines.length = 0;
        await scheduler.logs(target().app, { dyno: 'web', lines: 10, follow: false, signal: new AbortController().signal }, (l) => lines.push(`${l.dyno} ${l.line}`));
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(lines.includes('web.1 booting web.1'), JSON.stringify(lines));
    });

    test('output follows every dyno with its app and id, and resumes after what was collected', async () => {
      const { scheduler, real } = target();
      if (!real) return;
      const follow = async (collected: (id: string) => string | undefined, until: (got: DynoOutputLine[]) => boolean, rounds = 100): Promise<DynoOutputLine[]> => {
        const got: DynoOutputLine[] = [];
        const stop = new AbortController();
        const running = scheduler.output({ signal: stop.signal, backlog: 100, pollMs: 100, collected }, (l) => got.push(l));
        for (let i = 0; i < rounds && !until(got); i++) await new Promise((r) => setTimeout(r, 50));
        stop.abort();
        await running;
        return got;
      };
      const booted = (got: DynoOutputLine[]) => got.find((l) => l.app === target().app && l.dyno === 'web.1' && l.line === 'booting web.1');
      const first = booted(await follow(() => undefined, (got) => booted(got) !== undefined));
      assert.ok(first, 'the boot line of web.1, with its app');
      assert.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      const again = await follow((id) => (id === first.id ? first.time : undefined), () => false, 20);
      assert.ok(!again.some((l) => l.id === first.id && l.time <= first.time), 'nothing up to the collected line again');
    });

    test('nodes lists the machines dynos run on, the platform\'s own among them', async () => {
      const nodes = await target().scheduler.nodes();
      assert.ok(nodes.length >= 1);
      assert.equal(nodes.filter((n) => n.self).length, 1);
      const dynoNodes = new Set((await list()).map((d) => d.node));
      for (const name of dynoNodes) assert.ok(nodes.some((n) => n.name === name), `${name} is a node`);
      assert.ok(nodes.reduce((sum, n) => sum + n.dynos, 0) >= 1);
    });

    test('destroy removes every dyno of the app', async () => {
      await target().scheduler.destroy(target().app);
      assert.deepEqual(await list(), []);
    });
  });
}
