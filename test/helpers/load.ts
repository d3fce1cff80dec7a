// Constant, bounded HTTP load through a router port, for fault tests and bench/faults: for each
// Host, `lanes` keep-alive connections each send GET on a fixed schedule (a lane that falls
// behind sends at once); every `postEvery`-th request of a lane is a POST with a small body, which
// the router never retries, so a clean result does not rest on its retry of idempotent requests.
// It stops on stop() or after maxMs, whichever comes first. Loopback only.
import http from 'node:http';

export interface LoadOptions {
  port: number;
  hosts: string[];
  /** Requests per second per host. */
  rate?: number;
  /** Connections per host. */
  lanes?: number;
  /** A request without a complete answer within this fails (ETIMEDOUT). */
  timeoutMs?: number;
  /** Hard stop, whatever happens. */
  maxMs?: number;
  path?: string;
  /** Every n-th request of a lane is a POST (0: none). */
  postEvery?: number;
}

export interface HostStats {
  requests: number;
  ok: number;
  failed: number;
  /** The first failures: seconds since the load began, what happened. */
  failures: string[];
  /** Answer bodies (first 40 characters) of successful requests, and how often. */
  bodies: Record<string, number>;
}

export interface LoadStats {
  hosts: Record<string, HostStats>;
  requests: number;
  failed: number;
  durationMs: number;
}

export interface Load {
  /** Counts so far (the load goes on). */
  snapshot(): LoadStats;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<LoadStats>;
}

export function startLoad(opts: LoadOptions): Load {
  const rate = opts.rate ?? 50;
  const lanes = opts.lanes ?? 4;
  const intervalMs = (1000 * lanes) / rate;
  const startedAt = performance.now();
  const stats: Record<string, HostStats> = {};
  const agents: http.Agent[] = [];
  let stopping = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const hardStop = setTimeout(() => { stopping = true; }, opts.maxMs ?? 300_000);
  hardStop.unref();

  const lane = (host: string, agent: http.Agent, offset: number): void => {
    const s = stats[host];
    let next = performance.now() + offset;
    let sent = 0;
    const fail = (what: string, at: number): void => {
      s.failed++;
      if (s.failures.length < 20) s.failures.push(`+${((at - startedAt) / 1000).toFixed(2)}s ${what}`);
    };
    const tick = (): void => {
      if (stopping) return;
      const at = performance.now();
      s.requests++;
      inFlight++;
      let settled = false;
      const done = (failure: string | null, body?: string): void => {
        if (settled) return;
        settled = true;
        if (failure === null) {
          s.ok++;
          const key = (body ?? '').trim().slice(0, 40);
          s.bodies[key] = (s.bodies[key] ?? 0) + 1;
        } else {
          fail(failure, at);
        }
        inFlight--;
        if (inFlight === 0 && idle) idle();
        next = Math.max(next + intervalMs, performance.now());
        setTimeout(tick, Math.max(0, next - performance.now()));
      };
      const post = (opts.postEvery ?? 0) > 0 && ++sent % opts.postEvery! === 0;
      const payload = post ? JSON.stringify({ n: sent, pad: 'x'.repeat(64) }) : '';
      const headers = post ? { host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : { host };
      const req = http.request({
        host: '127.0.0.1', port: opts.port, method: post ? 'POST' : 'GET', path: opts.path ?? '/', agent, headers, timeout: opts.timeoutMs ?? 5000,
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { if (body.length < 200) body += c; });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? null : `${post ? 'POST ' : ''}HTTP ${status} ${body.replace(/\s+/g, ' ').slice(0, 100)}`, body);
        });
        res.on('error', (err: NodeJS.ErrnoException) => done(`response ${err.code ?? err.message}`));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => done(`request ${err.code ?? err.message}`));
      req.end(payload);
    };
    setTimeout(tick, offset);
  };

  for (const host of opts.hosts) {
    stats[host] = { requests: 0, ok: 0, failed: 0, failures: [], bodies: {} };
    for (let i = 0; i < lanes; i++) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      lane(host, agent, (i * intervalMs) / lanes);
    }
  }

  const snapshot = (): LoadStats => {
    const hosts = structuredClone(stats);
    const all = Object.values(hosts);
    return {
      hosts,
      requests: all.reduce((n, h) => n + h.requests, 0),
      failed: all.reduce((n, h) => n + h.failed, 0),
      durationMs: performance.now() - startedAt,
    };
  };

  return {
    snapshot,
    stop() {
      stopping = true;
      clearTimeout(hardStop);
      return new Promise((resolve) => {
        const finish = (): void => {
          for (const a of agents) a.destroy();
          resolve(snapshot());
        };
        if (inFlight === 0) finish();
        else idle = finish;
      });
    },
  };
}

/** One line for a test failure message or a report: failures per host and the first few. */
export function describeLoad(stats: LoadStats): string {
  return Object.entries(stats.hosts)
    .map(([host, s]) => `${host}: ${s.ok}/${s.requests} ok${s.failures.length ? `; ${s.failures.slice(0, 5).join('; ')}` : ''}`)
    .join(' | ');
}
