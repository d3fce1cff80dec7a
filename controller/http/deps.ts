import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import type { Pushers } from '../git/pushers.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { authorizeApp, type OwnerAction } from '../services/access.ts';
import type { AddonService } from '../services/addon-service.ts';
import type { AppService } from '../services/apps.ts';
import type { BuildService } from '../services/builds.ts';
import type { ConfigService } from '../services/config-vars.ts';
import type { OneOffRuns } from '../services/one-off-runs.ts';
import type { Deployer } from '../services/deployer.ts';
import type { DomainService } from '../services/domains.ts';
import type { DynoService } from '../services/dynos.ts';
import type { DynoMetrics } from '../services/dyno-metrics.ts';
import type { FormationService } from '../services/formation.ts';
import type { ReleaseService } from '../services/releases.ts';
import type { RoutePublisher } from '../services/route-publisher.ts';
import type { TlsServices } from '../services/acme.ts';
import type { RequestLimits } from './rate-limit.ts';
import type { StreamTailer } from '../../common/stream-tailer.ts';
import type { Db } from '../store/db.ts';
import type { App } from '../store/types.ts';
import { currentUser } from './auth.ts';
import type { ResponseObserver } from './validate.ts';
import type { SourceStore } from '../services/sources.ts';
import type { PlatformStatusReader } from '../services/platform-status.ts';
import { createDiskGuard, type DiskGuard } from '../services/disk-space.ts';

export interface ApiDeps {
  db: Db;
  config: Config;
  scheduler: Scheduler;
  apps: AppService;
  builds: BuildService;
  deployer: Deployer;
  releases: ReleaseService;
  /** Config changes: the one entry point (apply) for anything that sets config vars. */
  configVars: ConfigService;
  formation: FormationService;
  domains: DomainService;
  dynos: DynoService;
  /** One-off dynos (paas run). */
  runs: OneOffRuns;
  /** Heroku's rendezvous listener for attached `heroku run` (absent: off, PAAS_RENDEZVOUS_PORT=-1). */
  rendezvous?: { url(host: string, secret: string): string } | null;
  addons: AddonService;
  routes: RoutePublisher;
  redis: Redis;
  /** Who pushed which commit (absent in API tests: pushes are credited to the owner). */
  pushers?: Pushers;
  /** Shared secret of the git pre-receive hook. */
  hookSecret: string;
  logError: (err: unknown) => void;
  /** One Redis connection for every log follower of the API (made on first use when absent). */
  tail?: StreamTailer;
  /** Request limits shared with the git endpoint (made from config when absent). */
  limits?: RequestLimits;
  /** Certificates and ACME (absent in API tests: made from db/redis on demand, without ACME). */
  tls?: TlsServices;
  /** Sees every JSON response with its route contract (the schema test). */
  onResponse?: ResponseObserver;
  /** The dyno collector's latest CPU and memory per dyno (absent in API tests: no usage shown). */
  dynoMetrics?: Pick<DynoMetrics, 'latest'>;
  /** Source uploads (made from dataDir and hookSecret when absent). */
  sources?: SourceStore;
  /** Refuses builds on a nearly full disk (absent: the data dir's disk only). */
  diskSpace?: DiskGuard;
  /** GET /platform/status (absent: made without the build queue's counts). */
  platformStatus?: PlatformStatusReader;
}

/** Throws a 507 before a build starts (or its source is written) when the disk is nearly full. */
export function checkBuildDiskSpace(deps: ApiDeps): void {
  (deps.diskSpace ?? createDiskGuard({ paths: [deps.config.dataDir], minFreeMb: deps.config.minFreeDiskMb })).check();
}

/** The one authorisation helper of app routes: the app named in the path, if the caller may
 *  see it (otherwise 404: existence is not leaked) and, given an owner-only action, may take it
 *  (otherwise 403). The rules are services/access.ts. */
export function appParam(deps: ApiDeps, req: Request, res: Response, action?: OwnerAction): App {
  return authorizeApp(deps.db, currentUser(res), String(req.params.app), action);
}
