// The Dockerfile policy, attack by attack: other tenants' images, remote ADD, tricks that hide
// an image name from a naive reader (ARG substitution, continuations, escapes, ONBUILD).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserBuildError } from '../common/errors.ts';
import { checkDockerfile, normalizeImage, parseInstructions } from './dockerfile-policy.ts';

const policy = { images: ['paas/stack:1', 'paas/stack:1-build', 'paas/busybox:test'], ownRepo: '127.0.0.1:5000/mine' };
const ok = (text: string): string[] => checkDockerfile(text, policy).images;
const refused = (text: string, why: RegExp): void =>
  assert.throws(() => checkDockerfile(text, policy), (err: unknown) => err instanceof UserBuildError && why.test(err.message), text);

test('the images a Dockerfile names are returned, stages and scratch not', () => {
  assert.deepEqual(ok('FROM paas/stack:1 AS a\nFROM a\nFROM scratch\nCOPY --from=127.0.0.1:5000/mine:v2 /x /x\nCOPY --from=a /y /y\n'),
    ['paas/stack:1', '127.0.0.1:5000/mine:v2']);
});

test('stack images, allowed images, the app\'s own images, scratch and earlier stages pass', () => {
  ok('FROM paas/stack:1\nRUN echo hi\n');
  ok('FROM docker.io/paas/busybox:test\nCOPY . /app\n');
  ok('FROM 127.0.0.1:5000/mine:v3\n');
  ok('FROM scratch\nCOPY x /x\n');
  ok('# escape=`\nFROM paas/stack:1-build AS Build\nRUN echo a `\n  b\nFROM paas/stack:1\nCOPY --from=build /app /app\nCOPY --from=0 /x /y\n');
  ok('ARG BASE=paas/stack:1\nFROM $BASE\nADD local.tar.gz /app/\n');
  ok('FROM paas/stack:1\nADD ["a b", "/app/"]\n');
});

test('another tenant\'s image, a public image, a digest, or the registry under another name are refused', () => {
  refused('FROM 127.0.0.1:5000/victim:v1\n', /FROM 127\.0\.0\.1:5000\/victim:v1 is not allowed/);
  refused('FROM 127.0.0.1:5000/mine-evil:v1\n', /not allowed/);
  refused('FROM 127.0.0.1:5000/mine/../victim:v1\n', /not allowed/);
  refused('FROM localhost:5000/mine:v1\n', /not allowed/);
  refused('FROM debian\n', /FROM debian is not allowed/);
  refused('FROM paas/stack@sha256:' + '0'.repeat(64) + '\n', /not allowed/);
  refused('FROM paas/stack:1\nFROM 127.0.0.1:5000/victim:v1 AS x\n', /victim/);
});

test('substitution, continuations and escapes cannot hide the image', () => {
  refused('ARG REPO=127.0.0.1:5000/victim\nFROM ${REPO}:v1\n', /victim:v1 is not allowed/);
  refused('ARG T\nFROM 127.0.0.1:5000/victim:${T:-v1}\n', /victim:v1/);
  refused('FROM 127.0.0.1:5000/vic\\\ntim:v1\n', /victim:v1/);
  refused('FROM 127.0.0.1:5000/vi"cti"m:v1\n', /victim:v1/);
  refused('# escape=`\nFROM 127.0.0.1:5000/vic`\n# comment\ntim:v1\n', /victim:v1/);
  refused('from 127.0.0.1:5000/victim:v1 as ok\n', /victim/);
});

test('COPY --from an image that is not allowed, or through a variable, is refused', () => {
  refused('FROM paas/stack:1\nCOPY --from=127.0.0.1:5000/victim:v1 /app /stolen\n', /COPY --from=127\.0\.0\.1:5000\/victim:v1 is not allowed/);
  refused('FROM paas/stack:1\nCOPY --chown=1000 --from=3 /a /b\n', /not allowed/);
  refused('FROM paas/stack:1\nARG X=127.0.0.1:5000/victim:v1\nCOPY --from=$X /a /b\n', /variable/);
  refused('FROM paas/stack:1\nONBUILD COPY --from=127.0.0.1:5000/victim:v1 /a /b\n', /victim/);
});

test('ADD of a URL (host services, the metadata address) or with a variable source is refused', () => {
  refused('FROM paas/stack:1\nADD http://127.0.0.1:5000/v2/_catalog /x\n', /ADD of a URL/);
  refused('FROM paas/stack:1\nADD --chown=1000 http://169.254.169.254/latest/meta-data/ /x\n', /ADD of a URL/);
  refused('FROM paas/stack:1\nADD ["https://example.com/a", "/a"]\n', /ADD of a URL/);
  refused('FROM paas/stack:1\nADD http\\://127.0.0.1:6379/ /x\n', /ADD of a URL/);
  refused('FROM paas/stack:1\nADD h"ttp"://127.0.0.1/ /x\n', /ADD of a URL/);
  refused('FROM paas/stack:1\nENV U=http://127.0.0.1:7000/\nADD $U /x\n', /variable/);
  refused('FROM 127.0.0.1:5000/mine:v1\nADD ${FROM_BASE_IMAGE_ENV} /x\n', /variable/);
  refused('FROM paas/stack:1\nONBUILD ADD http://127.0.0.1:5000/ /x\n', /ADD of a URL/);
});

test('a Dockerfile without FROM, or with instructions before it, is refused', () => {
  refused('RUN echo\n', /before the first FROM/);
  refused('# only a comment\n', /no FROM/);
});

test('the parser follows the classic builder on directives and continuations', () => {
  const { escape, instructions } = parseInstructions('# escape=`\n\nFROM a\nRUN x `\n\n  # c\n  y\n');
  assert.equal(escape, '`');
  assert.deepEqual(instructions.map((i) => [i.keyword, i.args]), [['FROM', 'a'], ['RUN', 'x   y']]);
  assert.equal(normalizeImage('docker.io/library/debian'), 'debian:latest');
  assert.equal(normalizeImage('127.0.0.1:5000/a'), '127.0.0.1:5000/a:latest');
});
