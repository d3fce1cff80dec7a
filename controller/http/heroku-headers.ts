// Headers of the Heroku Platform API that clients (the Heroku CLI, its libraries) rely on:
// - every response carries `Request-Id` (a fresh UUID, followed by the ids the client sent, as
//   Heroku appends them), so a user can quote it;
// - `Accept: application/vnd.heroku+json; version=3` (and its variants `3.sdk`, `3.foo`) is
//   served; another version of Heroku's media type is a 400 as on Heroku. Plain `application/json`
//   or no Accept is served too (our own CLI, curl).
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { BadRequestError } from '../../common/errors.ts';

const UUIDS = /^[0-9a-f-]{36}(,[0-9a-f-]{36})*$/i;
const HEROKU_TYPE = /application\/vnd\.heroku\+json\s*(;[^,]*)?/i;

export const herokuHeaders: RequestHandler = (req, res, next) => {
  const sent = req.get('request-id');
  // At most a few of the client's ids (it sends every id it has seen).
  const echoed = sent && sent.length < 2048 && UUIDS.test(sent) ? sent.split(',').slice(0, 10) : [];
  res.setHeader('Request-Id', [randomUUID(), ...echoed].join(','));
  const m = HEROKU_TYPE.exec(req.get('accept') ?? '');
  if (m) {
    const version = /version\s*=\s*([^;,\s]+)/i.exec(m[1] ?? '')?.[1];
    if (!version) return next(new BadRequestError("Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`."));
    if (version !== '3' && !version.startsWith('3.')) return next(new BadRequestError(`Version ${version} of the API is not served: use \`Accept: application/vnd.heroku+json; version=3\`.`));
  }
  next();
};
