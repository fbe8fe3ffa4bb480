// The committed dist/ (what the server embeds) must be exactly what build.sh makes from src/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { OUTPUTS, minify } from '../build.mjs';
import { ROOT } from './harness.mjs';

for (const output of OUTPUTS) {
  test(`${output.out} is up to date with ${output.src} (run banner/build.sh)`, () => {
    const committed = readFileSync(join(ROOT, 'banner', output.out), 'utf8');
    assert.ok(committed === minify(output), `${output.out} is stale: run banner/build.sh and commit dist/`);
  });
}

test('the minified script keeps the placeholders the server fills in', () => {
  const js = readFileSync(join(ROOT, 'banner', 'dist', 'kapsel.min.js'), 'utf8');
  assert.equal(js.split('KAPSEL_CONFIG').length, 2);
  assert.equal(js.split('KAPSEL_CSS').length, 2);
});
