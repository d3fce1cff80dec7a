// Coded errors. Each carries a Heroku-style id and its HTTP status; the API's one error
// handler turns them into JSON, the CLI into one line, the git hook into `remote:` lines.

export class PaasError extends Error {
  readonly id: string;
  readonly status: number;
  constructor(id: string, status: number, message: string) {
    super(message);
    this.id = id;
    this.status = status;
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export class BadRequestError extends PaasError {
  constructor(message: string) { super('bad_request', 400, message); }
}
export class UnauthorizedError extends PaasError {
  constructor(message = 'Invalid credentials provided.') { super('unauthorized', 401, message); }
}
export class ForbiddenError extends PaasError {
  constructor(message = 'You do not have access to this resource.') { super('forbidden', 403, message); }
}
export class NotFoundError extends PaasError {
  constructor(message: string) { super('not_found', 404, message); }
}
export class ConflictError extends PaasError {
  constructor(message: string) { super('conflict', 409, message); }
}
export class InvalidParamsError extends PaasError {
  constructor(message: string) { super('invalid_params', 422, message); }
}
/** A build or release failed because of the app (its code, Procfile, health check). Never retried. */
export class UserBuildError extends PaasError {
  constructor(message: string, id = 'build_failed') { super(id, 422, message); }
}
/** The user canceled the build (builds:cancel); like a user error, never retried. */
export class BuildCanceledError extends UserBuildError {
  constructor() { super('Build canceled.', 'build_canceled'); }
}

/** Coded errors that cross a process boundary (a BullMQ job's failure), by id. */
const BY_ID: Record<string, (message: string) => PaasError> = {
  build_failed: (message) => new UserBuildError(message),
  build_canceled: () => new BuildCanceledError(),
};
const WIRE = /^\[([a-z_]+)\] ([\s\S]*)$/;

/** An error as text that keeps its id through a hop that keeps only a message (BullMQ's
 *  failedReason): "[build_canceled] Build canceled.". */
export function errorToWire(err: unknown): string {
  return err instanceof PaasError && BY_ID[err.id] ? `[${err.id}] ${err.message}` : errorMessage(err);
}

/** The coded error back from errorToWire's text (or an Error with it as message); null if it
 *  carries no known id. */
export function errorFromWire(err: unknown): PaasError | null {
  const m = WIRE.exec(errorMessage(err));
  return m && BY_ID[m[1]] ? BY_ID[m[1]](m[2]) : null;
}

/** A cluster operation (nodes:drain) on a platform whose scheduler runs one local engine. */
export class NotAClusterError extends PaasError {
  constructor(message = 'This platform runs dynos on one Docker engine, not a cluster: set PAAS_SCHEDULER=swarm (docs/scale-out.md).') { super('not_a_cluster', 422, message); }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
