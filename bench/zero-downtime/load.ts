// The zero-downtime bench's load generator, a child process of run.ts (so its timing does not
// share an event loop with the platform under test). Constant load: `lanes` keep-alive
// connections, each sending GET / with the app's Host header on a fixed schedule
// (rate / lanes per second; a lane that falls behind sends at once); every `postEvery`-th
// request of a lane is a POST with a small body instead, which the router never retries. The parent switches the
// phase that requests are counted in and finally asks for the numbers.
//   {type:'phase', name}  counts requests started from now on under `name`
//   {type:'stop'}         stops sending, waits for the requests in flight, replies {type:'stats'}
import http from 'node:http';

export interface LoadOptions { port: number; host: string; rate: number; lanes: number; timeoutMs: number; postEvery: number }

export interface PhaseStats {
  requests: number;
  posts: number;
  ok: number;
  /** Answers other than 2xx, by status. */
  non2xx: Record<string, number>;
  /** Requests that got no answer, by error code. */
  socketErrors: Record<string, number>;
  latenciesMs: number[];
  /** Which release answered (the body), and how often. */
  bodies: Record<string, number>;
  durationMs: number;
  /** The first failures, for diagnosis: time since the phase began, what happened. */
  failures: string[];
}

export type LoadMessage = { type: 'phase'; name: string } | { type: 'stop' };
export type LoadReply = { type: 'stats'; phases: Record<string, PhaseStats> } | { type: 'ready' };

const emptyPhase = (): PhaseStats => ({ requests: 0, posts: 0, ok: 0, non2xx: {}, socketErrors: {}, latenciesMs: [], bodies: {}, durationMs: 0, failures: [] });

function main(): void {
  const opts = JSON.parse(process.argv[2]) as LoadOptions;
  const phases: Record<string, PhaseStats> = {};
  let phase: string | null = null;
  let phaseStarted = 0;
  let stopping = false;
  let inFlight = 0;
  let onIdle: (() => void) | null = null;
  const intervalMs = (1000 * opts.lanes) / opts.rate;

  const record = (name: string, startedAt: number, fn: (s: PhaseStats) => void): void => {
    const s = phases[name];
    fn(s);
    s.latenciesMs.push(performance.now() - startedAt);
  };
  const fail = (s: PhaseStats, startedAt: number, what: string): void => {
    if (s.failures.length < 20) s.failures.push(`+${((startedAt - phaseStarted) / 1000).toFixed(2)}s ${what}`);
  };

  const lane = (agent: http.Agent, offset: number): void => {
    let next = performance.now() + offset;
    let sent = 0;
    const tick = (): void => {
      if (stopping || phase === null) return;
      const name = phase;
      const startedAt = performance.now();
      const post = opts.postEvery > 0 && ++sent % opts.postEvery === 0;
      phases[name].requests++;
      if (post) phases[name].posts++;
      inFlight++;
      const done = (): void => {
        inFlight--;
        if (inFlight === 0 && onIdle) onIdle();
        next = Math.max(next + intervalMs, performance.now());
        setTimeout(tick, Math.max(0, next - performance.now()));
      };
      const body = post ? JSON.stringify({ n: sent, pad: 'x'.repeat(64) }) : '';
      const headers = post ? { host: opts.host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : { host: opts.host };
      const req = http.request({ host: '127.0.0.1', port: opts.port, method: post ? 'POST' : 'GET', path: '/', agent, headers, timeout: opts.timeoutMs }, (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { answer += c; });
        res.on('end', () => {
          const body = answer;
          const status = res.statusCode ?? 0;
          record(name, startedAt, (s) => {
            if (status >= 200 && status < 300) {
              s.ok++;
              const key = body.trim().slice(0, 40);
              s.bodies[key] = (s.bodies[key] ?? 0) + 1;
            } else {
              s.non2xx[status] = (s.non2xx[status] ?? 0) + 1;
              fail(s, startedAt, `HTTP ${status} ${body.replace(/\s+/g, ' ').slice(0, 120)}`);
            }
          });
          done();
        });
        res.on('error', (err: NodeJS.ErrnoException) => {
          record(name, startedAt, (s) => {
            s.socketErrors[err.code ?? err.message] = (s.socketErrors[err.code ?? err.message] ?? 0) + 1;
            fail(s, startedAt, `response ${err.code ?? err.message}`);
          });
          done();
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        record(name, startedAt, (s) => {
          s.socketErrors[err.code ?? err.message] = (s.socketErrors[err.code ?? err.message] ?? 0) + 1;
          fail(s, startedAt, `request ${err.code ?? err.message}`);
        });
        done();
      });
      req.end(body);
    };
    setTimeout(tick, offset);
  };

  const agents = Array.from({ length: opts.lanes }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  let started = false;

  process.on('message', (msg: LoadMessage) => {
    if (msg.type === 'phase') {
      if (phase !== null) phases[phase].durationMs = performance.now() - phaseStarted;
      phase = msg.name;
      phases[phase] ??= emptyPhase();
      phaseStarted = performance.now();
      if (!started) {
        started = true;
        agents.forEach((agent, i) => lane(agent, (i * intervalMs) / opts.lanes));
      }
    } else if (msg.type === 'stop') {
      stopping = true;
      if (phase !== null) phases[phase].durationMs = performance.now() - phaseStarted;
      const reply = (): void => {
        for (const a of agents) a.destroy();
        process.send!({ type: 'stats', phases } satisfies LoadReply, () => process.exit(0));
      };
      if (inFlight === 0) reply();
      else onIdle = reply;
    }
  });
  process.send!({ type: 'ready' } satisfies LoadReply);
}

main();
