// Coded errors keep their id through a hop that keeps only a message (a BullMQ job's failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildCanceledError, errorFromWire, errorToWire, UserBuildError } from './errors.ts';

test('build_canceled and build_failed survive errorToWire/errorFromWire; plain messages do not pretend', () => {
  const canceled = errorFromWire(new Error(errorToWire(new BuildCanceledError())));
  assert.ok(canceled instanceof BuildCanceledError);
  assert.equal(canceled.id, 'build_canceled');
  assert.equal(canceled.message, 'Build canceled.');
  const failed = errorFromWire(errorToWire(new UserBuildError('npm install failed\nline 2')));
  assert.ok(failed instanceof UserBuildError && !(failed instanceof BuildCanceledError));
  assert.equal(failed.message, 'npm install failed\nline 2');
  assert.equal(errorFromWire(new Error('Build canceled.')), null);
  assert.equal(errorFromWire(new Error('[no_such_id] x')), null);
  assert.equal(errorToWire(new Error('disk full')), 'disk full');
});
