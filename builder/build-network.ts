// The network every build runs on: it reaches the internet (package registries) but nothing
// local — not the host (Redis, the registry, the API), not 169.254.169.254, not private
// addresses — and builds on it do not reach each other (common/isolated-network.ts).
import type Dockerode from 'dockerode';
import { ensureTenantNetwork } from '../common/isolated-network.ts';

export const buildNetworkName = (label: string): string => `${label}-builds`;

export const ensureBuildNetwork = (docker: Dockerode, label: string): Promise<string> =>
  ensureTenantNetwork({ docker, name: buildNetworkName(label), labels: { [label]: '1' }, icc: false });
