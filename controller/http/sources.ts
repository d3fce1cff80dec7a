// Source uploads: POST /apps/:app/sources (authenticated) hands out the URLs; PUT and GET
// /sources/:id are authorized by their signature alone, so they are mounted before the token check.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import type { SignedUrl, SourceStore } from '../services/sources.ts';
import { appParam, type ApiDeps } from './deps.ts';

const signedOf = (req: Request): SignedUrl => ({
  op: req.query.op === 'get' ? 'get' : 'put',
  expires: Number(req.query.expires),
  signature: typeof req.query.signature === 'string' ? req.query.signature : '',
});

/** PUT/GET of signed source URLs (no token). */
export function sourceBlobRouter(sources: SourceStore): Router {
  const r = Router();
  r.put('/sources/:id', async (req, res) => {
    try {
      res.status(200).json(await sources.receive(String(req.params.id), signedOf(req), req));
    } catch (err) {
      // Whatever of the body is still coming is not read: the connection ends with the answer.
      res.setHeader('connection', 'close');
      throw err;
    }
  });
  r.get('/sources/:id', async (req, res) => {
    const file = sources.blob(String(req.params.id), signedOf(req));
    res.type('application/octet-stream');
    await pipeline(fs.createReadStream(file), res);
  });
  return r;
}

export function sourcesRouter(deps: ApiDeps & { sources: SourceStore }): Router {
  const r = Router();
  r.post('/apps/:app/sources', (req, res) => {
    const app = appParam(deps, req, res);
    deps.sources.sweep();
    res.status(201).json({ source_blob: deps.sources.create(app.id, deps.config.apiUrl) });
  });
  return r;
}
