// Measures the banner's cost in real Chromium (see run.sh). For each page variant and run: a fresh
// context loads the page from a loopback static server; Kapsel's script comes from the real
// `kapsel serve`; the peers (vanilla-cookieconsent, Orejime, Klaro) from PEERS_DIR. Reported per variant, median over runs:
//   visible  ms from the moment the banner script starts to the first frame with the banner in it
//   own      the banner's own main-thread time: its synchronous run (after download) plus its
//            DOMContentLoaded work, from marks placed around it (wall clock: a busy machine inflates it)
//   cpu      thread CPU time of the banner's own script events in a Chromium trace (compile, run,
//            its callbacks); not inflated by other processes
//   script   main-thread script time of the whole page load (CDP Performance.getMetrics ScriptDuration)
//   tasks    main-thread task time of the whole page load (TaskDuration)
//   cls      cumulative layout shift (layout-shift entries without recent input)
// Kapsel's own cost is its row minus the baseline row, measured in the same run.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, start } from '../../banner/test/harness.mjs';

const runs = Number(process.argv[2] ?? 15);
const peers = process.env.PEERS_DIR;

const probe = `<script>
window.__bench = { start: 0, visible: 0, cls: 0, afterSync: 0, dclBefore: 0, dclAfter: 0 };
document.addEventListener('DOMContentLoaded', () => { __bench.dclBefore = performance.now(); });
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) __bench.cls += e.value; })
  .observe({ type: 'layout-shift', buffered: true });
new MutationObserver((ms, mo) => {
  if (document.querySelector(window.__bannerSelector)) {
    mo.disconnect();
    requestAnimationFrame(() => setTimeout(() => { __bench.visible = performance.now() - __bench.start; }));
  }
}).observe(document.documentElement, { childList: true, subtree: true });
</script>`;
const article = '<main><h1>Artikkel</h1>' + '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(3) + '</p>'.repeat(1) +
  Array.from({ length: 30 }, (_, i) => `<p>Avsnitt ${i}: ${'tekst '.repeat(40)}</p>`).join('') + '</main>';
// The start mark goes right before the banner's script: in <head> for Kapsel (its documented
// place), at the end of <body> for vanilla-cookieconsent (run() needs document.body).
const mark = '<script>__bench.start = performance.now();</script>';
// After the banner's script: when its synchronous part ended, and a DOMContentLoaded listener
// that runs after the banner's own (the probe's runs before it), so their difference is the
// banner's work at DOMContentLoaded.
const after = '<script>__bench.afterSync = performance.now(); document.addEventListener("DOMContentLoaded", () => { __bench.dclAfter = performance.now(); });</script>';
const page = ({ head = '', tail = '' }, selector) => `<!doctype html><html lang="nb"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>bench</title>
<script>window.__bannerSelector = ${JSON.stringify(selector)};</script>${probe}
${head ? mark : ''}${head}${head ? after : ''}</head><body>${article}${tail ? mark : ''}${tail}${tail ? after : ''}</body></html>`;

const server = await start();
const variants = {
  'baseline (no banner)': page({}, '#never'),
  Kapsel: page({ head: `<script src="${server.origin}/s/www.js"></script>` }, '#kapsel-banner'),
};
if (peers) {
  variants['vanilla-cookieconsent 3.1.0'] = page({ tail: `<link rel="stylesheet" href="/peer/cookieconsent.css">
<script src="/peer/cookieconsent.umd.js"></script>
<script>CookieConsent.run({ hideFromBots: false, categories: { necessary: { enabled: true, readOnly: true }, analytics: {}, marketing: {} },
language: { default: 'en', translations: { en: { consentModal: { title: 'We use cookies', description: 'Some cookies are needed.',
acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', showPreferencesBtn: 'Settings' },
preferencesModal: { title: 'Privacy settings', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', savePreferencesBtn: 'Save',
sections: [{ title: 'Analytics', linkedCategory: 'analytics' }, { title: 'Marketing', linkedCategory: 'marketing' }] } } } } });</script>` }, '#cc-main .cm');
  variants['orejime 3.2.1'] = page({ tail: `<link rel="stylesheet" href="/peer/orejime-standard.css">
<script>window.orejimeConfig = { privacyPolicyUrl: '/privacy', purposes: [
{ id: 'analytics', title: 'Analytics', cookies: ['_ga'] }, { id: 'marketing', title: 'Marketing', cookies: ['_fbp'] }] };</script>
<script src="/peer/orejime-standard-en.js"></script>` }, '.orejime-Banner');
  variants['klaro 0.7.22'] = page({ tail: `<script>window.klaroConfig = { privacyPolicy: '/privacy', services: [
{ name: 'analytics', title: 'Analytics', purposes: ['analytics'], cookies: ['_ga'] }, { name: 'marketing', title: 'Marketing', purposes: ['marketing'], cookies: ['_fbp'] }] };</script>
<script src="/peer/klaro.js"></script>` }, '.klaro .cookie-notice');
}
const files = peers ? {
  '/peer/cookieconsent.css': ['text/css', readFileSync(join(peers, 'vanilla-cookieconsent/dist/cookieconsent.css'))],
  '/peer/cookieconsent.umd.js': ['text/javascript', readFileSync(join(peers, 'vanilla-cookieconsent/dist/cookieconsent.umd.js'))],
  '/peer/orejime-standard.css': ['text/css', readFileSync(join(peers, 'orejime/dist/orejime-standard.css'))],
  '/peer/orejime-standard-en.js': ['text/javascript', readFileSync(join(peers, 'orejime/dist/orejime-standard-en.js'))],
  '/peer/klaro.js': ['text/javascript', readFileSync(join(peers, 'klaro/dist/klaro.js'))],
} : {};
const names = Object.keys(variants);
// Which script URLs belong to each banner, for the CPU time taken from the trace.
const urls = { Kapsel: '/s/www.js', 'vanilla-cookieconsent 3.1.0': '/peer/cookieconsent.umd.js',
  'orejime 3.2.1': '/peer/orejime-standard-en.js', 'klaro 0.7.22': '/peer/klaro.js' };

/**
 * CPU time (thread time, so not inflated when the machine is busy) of the trace's top-level
 * script events whose source is the banner: compiling and running it, and every callback it
 * registered (DOMContentLoaded, observers, timers).
 */
function bannerCpu(events, url) {
  if (!url) return 0;
  let micros = 0;
  for (const e of events) {
    if (e.ph !== 'X' || !['EvaluateScript', 'FunctionCall', 'v8.compile'].includes(e.name)) continue;
    const u = e.args?.data?.url ?? e.args?.data?.fileName ?? '';
    if (!u.includes(url)) continue;
    if (e.name === 'v8.compile' && events.some((o) => o.name === 'EvaluateScript' && o.tid === e.tid && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur)) continue;
    micros += e.tdur ?? e.dur ?? 0;
  }
  return micros / 1000;
}
const http = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const file = files[url.pathname];
  if (file) { res.writeHead(200, { 'content-type': file[0] }); return res.end(file[1]); }
  const variant = names[Number(url.searchParams.get('v'))];
  if (variant === undefined) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(variants[variant]);
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${http.address().port}`;

const browser = await launch();
const results = Object.fromEntries(names.map((n) => [n, { visible: [], own: [], cpu: [], script: [], tasks: [], cls: [] }]));
try {
  for (let run = 0; run < runs + 1; run++) {
    for (const [index, name] of names.entries()) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      const cdp = await context.newCDPSession(tab);
      await cdp.send('Performance.enable');
      await browser.startTracing(tab, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
      await tab.goto(`${base}/?v=${index}`, { waitUntil: 'load' });
      if (name !== names[0]) await tab.waitForFunction(() => __bench.visible > 0, null, { timeout: 10_000 })
        .catch((e) => { throw new Error(`${name}: banner never became visible (${e.message})`); });
      await tab.waitForTimeout(300);
      const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
      const cpu = bannerCpu(trace.traceEvents ?? trace, urls[name]);
      const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      const bench = await tab.evaluate(() => {
        // The banner's own main-thread time: its synchronous part (from the moment its script
        // finished downloading) plus its DOMContentLoaded work.
        const fetched = Math.max(__bench.start, ...performance.getEntriesByType('resource')
          .filter((r) => r.initiatorType === 'script').map((r) => r.responseEnd));
        const own = __bench.afterSync ? (__bench.afterSync - fetched) + Math.max(0, __bench.dclAfter - __bench.dclBefore) : 0;
        return { ...__bench, own };
      });
      await context.close();
      if (run === 0) continue; // warm-up: first load compiles and fills caches
      results[name].visible.push(bench.visible);
      results[name].own.push(bench.own);
      results[name].cpu.push(cpu);
      results[name].script.push(metrics.ScriptDuration * 1000);
      results[name].tasks.push(metrics.TaskDuration * 1000);
      results[name].cls.push(bench.cls);
    }
  }
} finally {
  await browser.close();
  http.close();
  await server.stop();
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const f = (x) => x.toFixed(1);
console.log(`Median of ${runs} runs (after one warm-up), headless Chromium ${browser.version?.() ?? ''}`);
console.log('| page | script start → banner visible (ms) | banner\'s own main-thread wall time (ms) | banner\'s script CPU time (ms) | page script (ms) | page tasks (ms) | CLS |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const name of names) {
  const r = results[name];
  const dash = name === names[0];
  console.log(`| ${name} | ${dash ? '—' : f(median(r.visible))} | ${dash ? '—' : f(median(r.own))} | ${dash ? '—' : f(median(r.cpu))} | ${f(median(r.script))} | ${f(median(r.tasks))} | ${median(r.cls).toFixed(4)} |`);
}
const base0 = results[names[0]];
for (const name of names.slice(1)) {
  const r = results[name];
  console.log(`${name}: +${f(median(r.script) - median(base0.script))} ms script, +${f(median(r.tasks) - median(base0.tasks))} ms tasks over the baseline`);
}
