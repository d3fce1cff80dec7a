// An app's buildpack list: each entry a parsed buildpack reference (common/buildpack-ref.ts),
// a git address allowed by the URL policy, no entry twice. A build uses them in this order.
import type { Config } from '../../common/config.ts';
import { BuildpackRefError, parseBuildpackRef } from '../../common/buildpack-ref.ts';
import { InvalidParamsError } from '../../common/errors.ts';
import { checkUrl, urlPolicyOf } from '../../common/url-policy.ts';
import { listBuildpacks, setBuildpacks } from '../store/buildpacks.ts';
import type { Db } from '../store/db.ts';
import type { App } from '../store/types.ts';

export const appBuildpacks = (db: Db, app: App): string[] => listBuildpacks(db, app.id);

/** Replaces the whole list (422 on a bad or repeated entry); the list as stored. */
export function replaceBuildpacks(db: Db, config: Config, app: App, given: string[]): string[] {
  const policy = urlPolicyOf(config);
  const list: string[] = [];
  for (const entry of given) {
    let ref: string;
    try {
      const parsed = parseBuildpackRef(entry);
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
  setBuildpacks(db, app.id, list);
  return list;
}
