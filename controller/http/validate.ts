// The API's edge: every request body (and query) is checked against its route's schema before
// the handler runs; a bad one is a 422 naming every field error. Deploy tokens are held to the
// routes their scope allows. observeResponses hands every JSON response over with its route
// (the contract test checks them against their schemas).
import type { RequestHandler } from 'express';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ForbiddenError, InvalidParamsError } from '../../common/errors.ts';
import { scopeCoversApp } from '../services/tokens.ts';
import type { Db } from '../store/db.ts';
import { tokenScope } from './auth.ts';
import { routeMatcher, type RouteMatch } from './route-match.ts';
import type { RouteSpec } from './schemas/common.ts';

export interface FieldError { field: string; message: string }

/** A 422 from schema validation: the message lists every field, `errors` has them one by one. */
export class SchemaValidationError extends InvalidParamsError {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '));
    this.errors = errors;
  }
}

/** Every field error of `value` against `schema` (the first one per field), fields dotted. */
export function schemaErrors(schema: TSchema, value: unknown, prefix = ''): FieldError[] {
  const seen = new Map<string, string>();
  for (const e of Value.Errors(schema, value)) {
    const field = prefix + e.path.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
    if (!seen.has(field)) seen.set(field, e.message === 'Unexpected property' ? 'unknown field' : e.message);
  }
  return [...seen].map(([field, message]) => ({ field, message }));
}

export function check(schema: TSchema, value: unknown, prefix = ''): void {
  const errors = schemaErrors(schema, value, prefix);
  if (errors.length) throw new SchemaValidationError(errors);
}

export type ResponseObserver = (route: RouteSpec, status: number, body: unknown) => void;

export function validateRequests(opts: { specs: RouteSpec[]; db: Db }): RequestHandler {
  const match = routeMatcher(opts.specs);
  return (req, res, next) => {
    const found = match(req.method, req.path);
    limitScope(opts.db, res.locals, found);
    if (!found) return next();
    const { spec } = found;
    if (spec.body) check(spec.body, req.body === undefined ? {} : req.body);
    if (spec.query) check(spec.query, { ...req.query }, 'query.');
    next();
  };
}

/** Hands every JSON response of a route that has a contract to `onResponse` (mounted first). */
export function observeResponses(opts: { specs: RouteSpec[]; onResponse: ResponseObserver }): RequestHandler {
  const match = routeMatcher(opts.specs);
  return (req, res, next) => {
    const found = match(req.method, req.path);
    if (found) {
      const json = res.json.bind(res);
      res.json = (body: unknown) => { opts.onResponse(found.spec, res.statusCode, body); return json(body); };
    }
    next();
  };
}

/** A deploy token reaches only its app's routes marked `deploy`. */
function limitScope(db: Db, locals: Record<string, unknown>, found: RouteMatch | null): void {
  const scope = tokenScope(locals);
  if (!scope.appId) return;
  const deny = new ForbiddenError('This token is a deploy token: it may only upload sources, create and read builds, and read releases of its app.');
  if (!found?.spec.deploy || found.params.app === undefined) throw deny;
  if (!scopeCoversApp(db, scope, found.params.app)) throw deny;
}
