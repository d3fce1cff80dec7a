export interface User {
  id: string;
  email: string;
  admin: boolean;
  created_at: string;
}

export interface App {
  id: string;
  name: string;
  owner_id: string;
  maintenance: boolean;
  created_at: string;
  updated_at: string;
}

export type BuildStatus = 'pending' | 'succeeded' | 'failed';

export interface Build {
  id: string;
  app_id: string;
  user_id: string | null;
  status: BuildStatus;
  source_version: string | null;
  image: string | null;
  buildpack: string | null;
  process_types: Record<string, string | null>;
  /** The buildpack's config defaults (bin/release config_vars); the app's own vars override them. */
  config_vars: Record<string, string>;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface Release {
  id: string;
  app_id: string;
  version: number;
  build_id: string | null;
  /** The config row (store/configs.ts) the release runs with. */
  config_id: string;
  description: string;
  status: ReleaseStatus;
  error: string | null;
  user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface Formation {
  app_id: string;
  type: string;
  quantity: number;
  size: string;
  updated_at: string;
}
