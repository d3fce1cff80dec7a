// An app's buildpack list, as Heroku's API has it: GET and PUT /apps/:app/buildpack-installations.
// PUT replaces the whole list ({updates: [{buildpack}]}); the CLI adds, sets and removes with it.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { BuildpackRefError, parseBuildpackRef } from '../../common/buildpack-ref.ts';
import { InvalidParamsError } from '../../common/errors.ts';
import { checkUrl, urlPolicyOf, type UrlPolicy } from '../../common/url-policy.ts';
import { listBuildpacks, setBuildpacks } from '../store/buildpacks.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { BuildpacksBody } from './schemas/builds.ts';

export function buildpacksRouter(deps: ApiDeps): Router {
  const r = Router();
  const json = (app: App, list: string[]) =>
    list.map((buildpack, ordinal) => ({ ordinal, buildpack: { url: buildpack, name: buildpack }, app: { id: app.id, name: app.name } }));

  r.get('/apps/:app/buildpack-installations', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(json(app, listBuildpacks(deps.db, app.id)));
  });

  r.put('/apps/:app/buildpack-installations', (req, res) => {
    const app = appParam(deps, req, res);
    const list = readUpdates(req.body, urlPolicyOf(deps.config));
    setBuildpacks(deps.db, app.id, list);
    res.json(json(app, list));
  });

  return r;
}

/** {updates: [{buildpack: "nodejs"}, ...]} (its shape checked by BuildpacksBody) -> ["nodejs", ...], each entry parsed. */
function readUpdates(body: unknown, policy: UrlPolicy): string[] {
  const list: string[] = [];
  for (const { buildpack: given } of (body as Static<typeof BuildpacksBody>).updates) {
    let ref: string;
    try {
      const parsed = parseBuildpackRef(given);
      // Addresses are checked again, after DNS resolution, when the build fetches it.
      if (parsed.kind === 'git' && !parsed.url.startsWith('file:')) checkUrl(parsed.url, policy, ['http:', 'https:', 'git:']);
      ref = parsed.ref;
    } catch (err) {
      if (err instanceof BuildpackRefError) throw new InvalidParamsError(err.message);
      throw err;
    }
    if (list.includes(ref)) throw new InvalidParamsError(`The buildpack ${ref} is already in the list.`);
    list.push(ref);
  }
  return list;
}
