// Segment's browser library (@segment/analytics-next, unmodified) as one script for the ingest's
// browser tests. The package's module builds are made for a bundler, and its prebuilt UMD (the
// snippet build) loads its chunks from the CDN, so esbuild bundles the modules here into an IIFE
// that sets `window.AnalyticsBrowser`, every dynamic import inlined: nothing is fetched to run it.
// Built at test time from the pinned devDependency, never committed.
//
// Loading it fetches nothing beyond loopback only when the page passes `cdnSettings` (or a
// `cdnURL` on loopback whose /v1/projects/{writeKey}/settings answers like segmentSettings()):
// without a cdnURL it GETs settings from cdn.segment.com, and unless `metrics.sampleRate` is 0 it
// POSTs usage counters to api.segment.io/v1/m every 30 s. More integrations than 'Segment.io',
// remotePlugins, enabledMiddleware, routing rules or legacyVideoPluginsEnabled in the settings
// would load more scripts (from the cdnURL, else the CDN), so a test's settings carry none.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const BANNER = join(dirname(fileURLToPath(import.meta.url)), '..');
let built;

/** The IIFE text of @segment/analytics-next that sets `window.AnalyticsBrowser` (built once per process). */
export function segmentBrowserBundle() {
  built ??= build({
    stdin: {
      contents: "import { AnalyticsBrowser } from '@segment/analytics-next';\nwindow.AnalyticsBrowser = AnalyticsBrowser;\n",
      resolveDir: BANNER,
      sourcefile: 'segment-entry.js',
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2019',
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0].text);
  return built;
}

/**
 * The least settings (as a `cdnSettings` load option or a settings endpoint's JSON) with which
 * the 'Segment.io' destination posts to `apiHost` ("127.0.0.1:PORT/v1", no scheme) over plain
 * http, with the write key as Basic user and in each body, and no usage metrics.
 */
export function segmentSettings({ writeKey, apiHost, protocol = 'http' }) {
  return {
    integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol } },
    metrics: { sampleRate: 0 },
  };
}
