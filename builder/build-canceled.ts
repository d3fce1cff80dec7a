// The reason a canceled build stops with: a user error (never retried), so the job fails for good.
import { UserBuildError } from '../common/errors.ts';

export class BuildCanceledError extends UserBuildError {
  constructor() {
    super('Build canceled.');
  }
}
