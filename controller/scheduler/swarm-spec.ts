// What a dyno looks like to Docker Swarm: one replicated service with one task per dyno, so
// Swarm reschedules it (killed task, drained or lost node) while the platform keeps the
// dyno's name, release and checks, and rolling restarts and cutovers stay health-gated
// (a new service is started and routed before the old one is drained and removed).
// The hardening is the local dynos' (dyno-hardening.ts): uid 1000, every capability dropped, an
// init process, memory, CPU and pids limits, the same labels; each app's dynos on a network of
// their own (an overlay here). Services cannot ask for no-new-privileges on Docker 20.10 (API
// 1.41) nor for CPU shares: the nodes' engines set no-new-privileges (docs/scale-out.md). Web dynos publish $PORT in `host`
// mode with `dnsrr` endpoints: no VIP, no ingress mesh (no IPVS needed); the router reaches
// each task at its node's address and the port Swarm reports for it.
import { randomBytes } from 'node:crypto';
import { APP_PORT, dynoEnv, dynoLabels, processCommand } from './docker-dyno.ts';
import { DEFAULT_DYNO_CPU, DYNO_PIDS_LIMIT, DYNO_USER, MiB } from './dyno-hardening.ts';
import type { ProcessSpec, ReleaseSpec } from './types.ts';

const NS_PER_S = 1_000_000_000;

/** Swarm's service spec, as much of it as the platform sets (Docker API 1.41). */
export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Command?: string[];
      Args?: string[];
      Env: string[];
      User: string;
      Labels: Record<string, string>;
      Init: boolean;
      CapabilityDrop: string[];
      StopGracePeriod: number;
      Hostname?: string;
    };
    Resources: { Limits: { MemoryBytes: number; NanoCPUs: number; Pids: number } };
    RestartPolicy: { Condition: 'any' | 'none' | 'on-failure'; Delay?: number; MaxAttempts?: number };
    LogDriver: { Name: string; Options: Record<string, string> };
    Networks?: Array<{ Target: string }>;
    Placement?: { Constraints: string[] };
    ForceUpdate?: number;
  };
  Mode: { Replicated: { Replicas: number } };
  EndpointSpec: { Mode: 'dnsrr'; Ports?: Array<{ Protocol: 'tcp'; TargetPort: number; PublishMode: 'host' }> };
}

/** Service names are DNS labels: at most 63 characters. */
export function serviceName(label: string, app: string, dyno: string, release: number): string {
  const base = `${label}-${app}-${dyno.replace('.', '-')}-v${release}`.slice(0, 55).replace(/-+$/, '');
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** The overlay network of an app's dynos on the cluster: its dynos reach each other, other
 *  apps' dynos are on other networks. */
export const appNetworkName = (label: string, app: string): string => `${label}-swarm-${app}`;

/** The service of one dyno. A replacement (rolling restart, node drain) uses the same spec
 *  under a new name (renamed()). */
export function dynoService(opts: {
  label: string; spec: ReleaseSpec; proc: ProcessSpec; index: number; oneOff: boolean; network: string | null; graceSec: number;
  /** CPU quota in CPUs (config.dynoCpus). */
  cpus?: number;
}): ServiceSpec {
  const { label, spec, proc, index, oneOff } = opts;
  const dyno = `${proc.type}.${index}`;
  const labels = dynoLabels(label, spec, proc, index);
  const command = processCommand(spec.kind, proc.command);
  const web = proc.type === 'web' && !oneOff;
  return {
    Name: serviceName(label, spec.app, dyno, spec.release),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        ...(command.Entrypoint ? { Command: command.Entrypoint } : {}),
        ...(command.Cmd ? { Args: command.Cmd } : {}),
        Env: dynoEnv(spec, dyno),
        User: DYNO_USER,
        Labels: labels,
        Init: true,
        CapabilityDrop: ['ALL'],
        StopGracePeriod: opts.graceSec * NS_PER_S,
      },
      Resources: { Limits: { MemoryBytes: spec.memoryMb * MiB, NanoCPUs: Math.round((opts.cpus ?? DEFAULT_DYNO_CPU.cpus) * 1e9), Pids: DYNO_PIDS_LIMIT } },
      // A dyno whose process exits gets a new task (on any node) after a second; a one-off
      // runs once.
      RestartPolicy: oneOff ? { Condition: 'none' } : { Condition: 'any', Delay: NS_PER_S, MaxAttempts: 0 },
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '2' } },
      ...(opts.network ? { Networks: [{ Target: opts.network }] } : {}),
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: web
      ? { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: APP_PORT, PublishMode: 'host' }] }
      : { Mode: 'dnsrr' },
  };
}

/** The same dyno under a new service name (a replacement started beside the old one). */
export function renamed(label: string, spec: ServiceSpec): ServiceSpec {
  const l = spec.Labels;
  return { ...spec, Name: serviceName(label, l[`${label}.app`], l[`${label}.dyno`], Number(l[`${label}.release`])) };
}
