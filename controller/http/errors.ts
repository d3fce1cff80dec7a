// The API's one error handler: coded errors become Heroku-shaped JSON ({id, message}) that is
// also an RFC 9457 problem document; nothing else (no stack trace) reaches the client.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { NotFoundError, PaasError, errorMessage } from '../../common/errors.ts';

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}.`));
};

export function errorHandler(logError: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let status = 500;
    let id = 'internal_server_error';
    let message = 'Internal server error.';
    let fields: unknown;
    if (err instanceof PaasError) {
      ({ status, id, message } = err);
      fields = (err as { errors?: unknown }).errors;
    } else if (err && typeof err === 'object' && 'type' in err && err.type === 'entity.parse.failed') {
      status = 400; id = 'bad_request'; message = 'Request body is not valid JSON.';
    } else if (err && typeof err === 'object' && typeof (err as { status?: unknown }).status === 'number'
      && (err as { status: number }).status < 500) {
      status = (err as { status: number }).status; id = 'bad_request'; message = errorMessage(err);
    } else {
      logError(err);
    }
    if (res.headersSent) { res.end(); return; }
    res.status(status).type('application/problem+json').json({ id, message, status, title: id.replace(/_/g, ' '), detail: message, ...(fields ? { errors: fields } : {}) });
  };
}
