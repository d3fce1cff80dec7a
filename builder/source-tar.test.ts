import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasFile, openSourceTar, readFile } from './source-tar.ts';
import { makeSourceTar, removeSourceTar } from './builder.test-support.ts';

for (const via of ['git', 'tar'] as const) {
  test(`finds root files in a ${via} archive`, async () => {
    const tar = await makeSourceTar({ Procfile: 'web: x\n', 'sub/Dockerfile': 'FROM x\n', '-odd name': 'y' }, via);
    try {
      const source = await openSourceTar(tar);
      assert.ok(hasFile(source, 'Procfile'));
      assert.ok(!hasFile(source, 'Dockerfile'));
      assert.ok(hasFile(source, 'sub/Dockerfile'));
      assert.equal(await readFile(source, 'Procfile'), 'web: x\n');
      assert.equal(await readFile(source, '-odd name'), 'y');
      assert.equal(await readFile(source, 'package.json'), null);
    } finally {
      await removeSourceTar(tar);
    }
  });
}

test('a missing tar is an error', async () => {
  await assert.rejects(openSourceTar('/nonexistent/source.tar'), /does not exist/);
});
