// The banner's one build step (see build.sh): esbuild minifies src/ into dist/. Also imported by
// test/build.test.mjs to check that the committed dist/ matches src/.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUTS = [
  { src: 'src/kapsel.js', out: 'dist/kapsel.min.js', loader: 'js' },
  { src: 'src/kapsel.css', out: 'dist/kapsel.min.css', loader: 'css' },
  { src: 'src/centre.js', out: 'dist/centre.min.js', loader: 'js' },
  { src: 'src/centre.css', out: 'dist/centre.min.css', loader: 'css' },
];

/** The minified text of one source file. */
export function minify({ src, loader }) {
  const source = readFileSync(join(here, src), 'utf8');
  return transformSync(source, { loader, minify: true, target: loader === 'js' ? 'es2019' : 'chrome90', legalComments: 'inline' }).code;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(here, 'dist'), { recursive: true });
  for (const output of OUTPUTS) {
    const code = minify(output);
    writeFileSync(join(here, output.out), code);
    console.log(`${output.out}: ${code.length} bytes`);
  }
}
