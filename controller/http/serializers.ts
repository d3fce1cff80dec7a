// Resource shapes of the Heroku Platform API v3 (the subset the platform has); their types are
// the route contracts' (schemas/), so the compiler holds them to the documented shapes.
import type { Static } from '@sinclair/typebox';
import { gitUrl, webUrl, type Config } from '../../common/config.ts';
import { httpsOf } from '../services/app-tls.ts';
import { currentReleaseOf } from '../services/releases.ts';
import { userRef } from '../services/users.ts';
import type { Db } from '../store/db.ts';
import type { App, Build, Release, User } from '../store/types.ts';
import type { AccountSchema } from './schemas/account.ts';
import type { AppSchema } from './schemas/apps.ts';
import type { BuildSchema } from './schemas/builds.ts';
import type { ReleaseSchema } from './schemas/releases.ts';

export function appJson(db: Db, config: Config, app: App): Static<typeof AppSchema> {
  const current = currentReleaseOf(db, app);
  return {
    id: app.id,
    name: app.name,
    git_url: gitUrl(config, app.name),
    web_url: webUrl(config, app.name),
    maintenance: app.maintenance,
    owner: userRef(db, app.owner_id),
    stack: { name: config.stackImage },
    // Heroku's meaning: the stack the next build is for (not the image it is built in).
    build_stack: { name: config.stackImage },
    region: { name: 'local' },
    released_at: current ? current.created_at : null,
    acm: httpsOf(db, app).acm,
    create_status: 'complete',
    repo_size: null,
    slug_size: null,
    created_at: app.created_at,
    updated_at: app.updated_at,
  };
}

export function releaseJson(db: Db, app: App, release: Release): Static<typeof ReleaseSchema> {
  const current = currentReleaseOf(db, app);
  return {
    id: release.id,
    version: release.version,
    description: release.description,
    status: release.status,
    current: current?.id === release.id,
    eligible_for_rollback: release.status === 'succeeded' && release.build_id !== null,
    output_stream_url: null,
    failure_reason: release.error,
    app: { id: app.id, name: app.name },
    slug: release.build_id ? { id: release.build_id } : null,
    user: userRef(db, release.user_id),
    addon_plan_names: [],
    created_at: release.created_at,
    updated_at: release.updated_at,
  };
}

export function buildJson(db: Db, config: Config, app: App, build: Build): Static<typeof BuildSchema> {
  return {
    id: build.id,
    status: build.status,
    app: { id: app.id },
    source_blob: { version: build.source_version, url: null },
    buildpacks: build.buildpack ? [{ name: build.buildpack, url: build.buildpack }] : [],
    slug: build.status === 'succeeded' ? { id: build.id } : null,
    process_types: build.process_types,
    failure_reason: build.error,
    output_stream_url: `${config.apiUrl}/apps/${app.name}/builds/${build.id}/output`,
    stack: config.stackImage,
    user: userRef(db, build.user_id),
    created_at: build.created_at,
    updated_at: build.updated_at,
  };
}

export const accountJson = (user: User): Static<typeof AccountSchema> => ({ id: user.id, email: user.email, admin: user.admin, created_at: user.created_at });
