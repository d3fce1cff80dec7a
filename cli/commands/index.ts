import { addonsCommands } from './addons.ts';
import { appsCommands } from './apps.ts';
import { authCommands } from './auth.ts';
import { buildsCommands } from './builds.ts';
import { buildControlCommands } from './build-control.ts';
import { buildpacksCommands } from './buildpacks.ts';
import { configCommands } from './config.ts';
import { pgCommands } from './pg.ts';
import { psCommands } from './ps.ts';
import { maintenanceCommands } from './maintenance.ts';
import { checksCommands } from './checks.ts';
import { accessCommands } from './access.ts';
import { logsCommands } from './logs.ts';
import { metricsCommands } from './metrics.ts';
import { runCommands } from './run.ts';
import { domainsCommands } from './domains.ts';
import { certsCommands } from './certs.ts';
import { authorizationCommands } from './authorizations.ts';
import { releasesCommands } from './releases.ts';
import { nodesCommands } from './nodes.ts';
import { webhooksCommands } from './webhooks.ts';
import { drainsCommands } from './drains.ts';
import type { Command } from './types.ts';

export const commands: Command[] = [...authCommands, ...appsCommands, ...configCommands, ...releasesCommands, ...psCommands, ...buildsCommands, ...buildControlCommands, ...buildpacksCommands, ...logsCommands, ...drainsCommands, ...metricsCommands, ...runCommands, ...domainsCommands, ...certsCommands, ...maintenanceCommands, ...checksCommands, ...accessCommands, ...authorizationCommands, ...nodesCommands, ...webhooksCommands, ...addonsCommands, ...pgCommands];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}
