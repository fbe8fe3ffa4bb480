/*! Kapsel consent banner (Apache-2.0). docs/web-teams.md */
// Owns, in the browser: Consent Mode defaults, the first layer, the preference centre, gating of
// data-kapsel elements, the consent cookie, recording choices, withdrawal clean-up and window.kapsel.
// banner/build.sh minifies this file with esbuild into dist/ (committed); the server embeds dist/
// and replaces KAPSEL_CONFIG and KAPSEL_CSS with the site's configuration and the styles. The
// configuration carries what the first layer needs. The preference centre (centre.js, with the
// site's service and cookie details and the centre's styles) is loaded from C.details the first
// time a visitor opens it, and registers through kapsel._centre; if it cannot be loaded, the
// first layer comes back to take the choice.
((C, css) => {
  'use strict';
  const w = window, d = document, de = d.documentElement, nav = navigator, NEC = 'necessary',
    me = d.currentScript, base = me && me.src || location.href, api = new URL(C.api, base).href,
    dl = w.dataLayer = w.dataLayer || [], svcById = {}, catById = {}, listeners = [], ran = new Set(),
    // A browser privacy signal that presets marketing to off: GPC, or Do Not Track when the site asks.
    signal = C.gpc ? nav.globalPrivacyControl === true ? 'gpc' : C.dnt && nav.doNotTrack === '1' ? 'dnt' : '' : '';
  let chain = Promise.resolve(), bannerEl, centre, loading, spacer, opener, floatEl, started, shown, chose;
  C.services.forEach((s) => { svcById[s.id] = s; });
  C.categories.forEach((c) => { catById[c.id] = c; });
  function gtag() { dl.push(arguments); }

  // Language: <html lang> (no → nb), then nb ⇄ nn, then the file's languages in order.
  let p = (de.lang || '').toLowerCase().split('-')[0];
  if (p === 'no') p = 'nb';
  const langs = [p, p === 'nn' ? 'nb' : p === 'nb' ? 'nn' : ''].concat(C.langs).filter((l) => C.langs.includes(l)),
    lang = langs[0],
    first = (f) => langs.map(f).find((s) => s != null), // in the first language that has it
    tx = (t) => t && first((l) => t[l]) || '', // a per-language text
    ui = (k, vars) => (first((l) => (C.texts[l] || {})[k]) || '').replace(/\{(\w+)\}/g, (_, v) => vars[v]); // a UI text

  // The consent cookie: 1|receipt|revision|expires_ms|granted ids (.)|pending action|gpc[|ask|secret].
  // ask=1: only single embeds were allowed so far, and the first layer still waits for an answer.
  // secret: the receipt's receipt_secret, the proof the API asks for to replace that receipt.
  const read = () => {
    const m = d.cookie.match(/(?:^|;\s*)kapsel_consent=([^;]*)/), f = m ? m[1].split('|').map(decodeURIComponent) : [];
    return f[0] === '1' ? { rid: f[1], rev: f[2], exp: +f[3], granted: f[4] ? f[4].split('.') : [], pending: f[5], gpc: f[6] === '1', ask: f[7] === '1', key: f[8] || '' } : null;
  };
  const write = (s) => {
    const h = location.hostname, cd = C.cookie_domain, v = ['1', s.rid, s.rev, s.exp, s.granted.join('.'), s.pending, s.gpc ? 1 : 0]
      .concat(s.ask || s.key ? [s.ask ? 1 : '', s.key] : []).map((x) => encodeURIComponent(x == null ? '' : x)).join('|');
    d.cookie = 'kapsel_consent=' + v + ';Path=/;Expires=' + new Date(s.exp).toUTCString() + ';SameSite=Lax' +
      (cd && (h === cd || h.endsWith('.' + cd)) ? ';Domain=' + cd : '') + (location.protocol === 'https:' ? ';Secure' : '');
  };
  let state = read(), valid = !!state && state.rev === C.revision && state.exp > Date.now(),
    decided = valid && !state.ask, granted = new Set(valid ? state.granted : []);

  const allowed = (id, g = granted) => {
    const s = svcById[id];
    return id === NEC || g.has(id) || !!s && (s.category === NEC || g.has(s.category));
  };
  const marketing = (id) => { // under a privacy signal, never granted
    const s = svcById[id], c = catById[s ? s.category : id];
    return !!signal && !!c && !!c.marketing;
  };
  const ids = (xs) => xs.map((x) => x.id).filter((id) => allowed(id));
  const consent = () => ({
    decided, revision: C.revision, receipt: valid && state.rid || null, expires_at_ms: valid ? state.exp : null,
    categories: ids(C.categories), services: ids(C.services)
  });
  const modes = () => {
    const m = {};
    ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage', 'functionality_storage',
      'personalization_storage', 'security_storage'].forEach((t) => { m[t] = t === 'security_storage' ? 'granted' : 'denied'; });
    C.services.forEach((s) => { if (allowed(s.id)) (s.consent_mode || []).forEach((t) => { m[t] = 'granted'; }); });
    return m;
  };
  const announce = () => {
    gtag('consent', 'update', modes());
    dl.push({ event: 'kapsel_consent', kapsel: consent() });
  };

  // Consent Mode v2 default: synchronously, before any tag on the page can run.
  gtag('consent', 'default', Object.assign(modes(), { wait_for_update: 500 }));
  if (valid) announce();

  // Gating: scripts in document order (each src script loads before the next runs), iframes
  // behind a placeholder, templates; each runs once.
  const gate = (root) => {
    const els = [...root.querySelectorAll('[data-kapsel]')];
    if (root.matches && root.matches('[data-kapsel]')) els.unshift(root);
    els.forEach((el) => {
      const id = el.getAttribute('data-kapsel'), tag = el.tagName, ok = allowed(id);
      if (tag === 'SCRIPT' && el.type === 'text/plain') {
        if (!ok) return;
        el.type = 'text/x-kapsel-queued';
        ran.add(id);
        chain = chain.then(() => run(el));
      } else if (tag === 'IFRAME' && el.hasAttribute('data-src')) {
        if (ok) {
          ran.add(id);
          if (el.kapselPh) el.kapselPh.remove();
          el.src = el.getAttribute('data-src');
          el.removeAttribute('data-src');
          el.hidden = false;
        } else if (!el.kapselPh) placeholder(el, id);
      } else if (tag === 'TEMPLATE' && ok) {
        ran.add(id);
        el.removeAttribute('data-kapsel');
        chain = chain.then(() => { // after the scripts before it, like any markup in order
          const frag = d.importNode(el.content, true);
          frag.querySelectorAll('script:not([data-kapsel])').forEach((o) => o.replaceWith(fresh(o, 1)));
          el.replaceWith(frag);
        });
      }
    });
  };
  const fresh = (old, keepType) => { // a script element the browser will run (copies may not)
    const s = d.createElement('script');
    [...old.attributes].forEach((a) => { if (keepType || a.name !== 'type') s.setAttribute(a.name, a.value); });
    if (old.dataset.type) s.type = old.dataset.type;
    if (s.src) s.async = false; else s.text = old.text;
    return s;
  };
  const run = (old) => new Promise((done) => {
    const s = fresh(old);
    if (s.src) s.onload = s.onerror = done;
    old.replaceWith(s);
    if (!s.src) done();
  });
  const placeholder = (f, id) => {
    const s = svcById[id], vars = { name: s ? s.name : tx(catById[id] && catById[id].label) || id, provider: s ? s.provider : '' },
      ph = h('div', { class: 'kapsel-ph', role: 'group', 'aria-label': vars.name, lang },
        h('p', {}, ui('placeholder', vars)),
        marketing(id) ? null : h('button', { type: 'button', class: 'kapsel-load', 'data-kapsel-load': id }, ui('load', vars)));
    if (f.width) ph.style.width = 'min(100%,' + f.width + 'px)';
    if (f.height) ph.style.minHeight = f.height + 'px';
    f.kapselPh = ph;
    f.before(ph);
    f.hidden = true;
  };

  // A choice: store it, clean up what is no longer allowed, tell the page, record it. `ask`: a
  // single embed or service was allowed, which leaves the first layer's question open.
  const choose = (action, g, ask) => {
    chose = 1;
    const withdrawn = consent().services.some((id) => !allowed(id, g));
    if (signal && action === 'accept_all') action = 'gpc';
    if (withdrawn) action = g.size ? 'custom' : 'withdraw';
    granted = g;
    state = {
      rid: state && state.rid, key: state && state.key, rev: C.revision, exp: Date.now() + (g.size ? C.accept_ms : C.reject_ms),
      granted: [...g], pending: action, gpc: !!signal, ask: ask && !decided
    };
    valid = true;
    decided = !state.ask;
    write(state);
    erase();
    if (decided) hideBanner();
    if (centre) centre.close();
    announce();
    gate(d);
    listeners.forEach((fn) => fn(consent()));
    const sent = send();
    if (withdrawn && [...ran].some((id) => !allowed(id))) sent.then(() => location.reload());
  };
  const send = () => {
    const s = state, body = { site: C.site, revision: s.rev, language: lang, action: s.pending, gpc: s.gpc, categories: {}, services: {} };
    if (!s.pending) return Promise.resolve();
    if (s.rid) { body.previous_receipt = s.rid; if (s.key) body.receipt_secret = s.key; }
    C.categories.forEach((c) => { if (c.id !== NEC) body.categories[c.id] = allowed(c.id); });
    C.services.forEach((v) => { body.services[v.id] = allowed(v.id); });
    const post = () => fetch(api, {
      method: 'POST', keepalive: true, credentials: 'omit',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
    }).then((r) => {
      if (r.status >= 500 || r.status === 429) throw r; // kept pending: sent again on the next page view
      if (r.status >= 400 && body.previous_receipt) { // e.g. a receipt from another ledger: record without it
        delete body.previous_receipt;
        delete body.receipt_secret;
        return post();
      }
      return r.status < 300 ? r.json() : {};
    });
    return post().then((rc) => {
      if (state !== s) return;
      if (rc.id) { s.rid = rc.id; s.key = rc.receipt_secret || ''; s.exp = rc.expires_at_ms || s.exp; }
      s.pending = '';
      write(s);
    }, () => {});
  };
  // Clean-up: delete the first-party cookies and storage keys of every service not allowed now,
  // and of those earlier revisions declared and this one no longer does (C.gone), by exact name
  // or prefix, on every path and domain variant they may have been set with. A key is a kind
  // letter (c cookie, l localStorage, s sessionStorage; upper case: a prefix) and the name.
  const erase = () => {
    const hosts = [''], paths = ['/'], parts = location.hostname.split('.'), segs = location.pathname.split('/'),
      names = d.cookie.split(';').map((c) => c.split('=')[0].trim());
    let keys = C.gone || [];
    parts.forEach((_, i) => hosts.push(';Domain=' + parts.slice(i).join('.')));
    for (let i = 2; i <= segs.length; i++) paths.push(segs.slice(0, i).join('/'), segs.slice(0, i).join('/') + '/');
    C.services.forEach((s) => { if (!allowed(s.id)) keys = keys.concat(s.erase || []); });
    keys.forEach((k) => {
      const n = k.slice(1), t = k[0].toLowerCase(), st = t === 'l' ? w.localStorage : t === 's' ? w.sessionStorage : 0,
        hit = (x) => k[0] !== t ? x.startsWith(n) : x === n;
      if (st) Object.keys(st).filter(hit).forEach((x) => st.removeItem(x));
      else names.filter(hit).forEach((x) => hosts.forEach((hh) => paths.forEach((pp) => { d.cookie = x + '=;Max-Age=0;Path=' + pp + hh; })));
    });
  };

  // The user interface. Texts are set as text nodes, never as HTML; arrays are appended in order.
  const h = (tag, attrs, ...kids) => {
    const e = d.createElement(tag);
    for (const k in attrs) if (attrs[k] != null && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    e.append(...kids.flat(3).filter((x) => x != null));
    return e;
  };
  const btn = (a) => h('button', { type: 'button', 'data-kapsel-action': a }, ui(a));
  // Only https:, http: and mailto: links become clickable, whatever the configuration says.
  const link = (u, text) => {
    try { u = u && new URL(u, base); } catch (e) { u = 0; }
    return u && /^(https?|mailto):$/.test(u.protocol) ? h('a', { href: u.href }, text) : null;
  };
  const mount = (el) => (d.body || de).prepend(el);
  // One order everywhere: reject, accept, then the third choice (settings / save).
  const actions = (third) => h('div', { class: 'kapsel-actions' }, btn('reject_all'), btn('accept_all'), btn(third));
  const note = () => signal ? h('p', { class: 'kapsel-note' }, ui(signal)) : null;
  const asked = C.categories.filter((c) => c.id !== NEC).map((c) => tx(c.label));
  const showBanner = () => {
    if (bannerEl) return;
    bannerEl = h('section', { id: 'kapsel-banner', 'aria-labelledby': 'kapsel-title', lang },
      h('h2', { id: 'kapsel-title' }, ui('title')),
      h('p', {}, ui('body')),
      asked.length ? h('p', {}, ui('asked') + ': ' + asked.join(', ') + '.') : null,
      note(),
      h('p', { class: 'kapsel-links' }, link(tx(C.links.cookies), ui('cookies')), ' ', link(tx(C.links.privacy), ui('privacy'))),
      actions('settings'));
    mount(bannerEl);
    spacer = h('div', { 'aria-hidden': 'true', class: 'kapsel-spacer' });
    d.body.append(spacer);
    // The spacer follows the banner's height after layout (reading offsetHeight here would
    // force a synchronous layout of the whole page).
    new ResizeObserver((es) => { if (spacer) spacer.style.height = es[0].borderBoxSize[0].blockSize + 'px'; }).observe(bannerEl);
  };
  const hideBanner = () => {
    if (bannerEl) { bannerEl.remove(); spacer.remove(); bannerEl = spacer = null; }
    if (floatEl) floatEl.hidden = false;
  };
  // The preference centre: loaded once (one request, cached by revision), then kept.
  const open = () => {
    opener = d.activeElement;
    if (centre) return centre.open(opener);
    if (loading) return;
    loading = h('script', { src: new URL(C.details + '&lang=' + lang, base).href, nonce: me && me.nonce || null });
    loading.onerror = () => { // the first layer takes the choice instead
      loading.remove();
      loading = 0;
      showBanner();
      const b = bannerEl.querySelector('.kapsel-actions');
      if (!bannerEl.querySelector('[role=status]')) b.before(h('p', { class: 'kapsel-note', role: 'status' }, ui('no_centre')));
      b.firstChild.focus();
    };
    (d.head || de).append(loading);
  };
  const all = () => new Set(C.categories.map((c) => c.id).filter((id) => id !== NEC && !marketing(id)));
  const add = (more) => { // consent to these services or categories only; the first layer stays open
    more = more.filter((id) => !marketing(id));
    if (more.length) choose('custom', new Set([...granted, ...more]), 1);
  };
  d.addEventListener('click', (e) => {
    const t = e.target.closest && e.target.closest('[data-kapsel-action],[data-kapsel-open],[data-kapsel-load]');
    if (!t) return;
    const a = t.getAttribute('data-kapsel-action');
    e.preventDefault();
    if (t.hasAttribute('data-kapsel-open') || a === 'settings') open();
    else if (a === 'accept_all') choose(a, all());
    else if (a === 'reject_all') choose(a, new Set());
    else if (t.dataset.kapselLoad) add([t.dataset.kapselLoad]);
  });
  // Never hide focused content behind the banner: scroll it into the free part of the viewport.
  d.addEventListener('focusin', (e) => {
    if (!bannerEl || bannerEl.contains(e.target) || !e.target.getBoundingClientRect) return;
    const r = e.target.getBoundingClientRect(), b = bannerEl.getBoundingClientRect();
    if (r.bottom > b.top && r.top < b.bottom) w.scrollBy(0, r.bottom - b.top + 8);
  });

  w.kapsel = {
    open,
    consent,
    on: (ev, fn) => { if (ev === 'change') listeners.push(fn); },
    accept: (...more) => add(more),
    // For centre.js only: what it needs of this script; it answers { open(opener), close() }.
    _centre: (make) => {
      centre = make({ C, api, h, ui, tx, link, note, allowed, marketing, choose, lang, now: () => [granted, valid && state] });
      centre.open(opener);
    }
  };

  (d.head || de).append(h('style', { id: 'kapsel-style' }, css));
  // Elements are gated as the parser adds them: an embed's placeholder is in place before the
  // first paint, so nothing shifts. Scripts and templates wait for DOMContentLoaded as always.
  new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) => {
    if (n.nodeType === 1 && (started || n.tagName === 'IFRAME')) gate(n);
  }))).observe(de, { childList: true, subtree: true });
  // Counting, for the site's own statistics: the first layer shown, and left open without a
  // choice when the visitor leaves the page (sendBeacon, with no identifier and no body).
  const count = (event) => {
    try {
      nav.sendBeacon(new URL(C.views, base).href + '?' + new URLSearchParams({ site: C.site, revision: C.revision, language: lang, event }));
    } catch (e) { /* counting never stands in the visitor's way */ }
  };
  w.addEventListener('pagehide', () => { if (shown && bannerEl && !chose) { shown = 0; count('ignored'); } });
  w.addEventListener('pageshow', (e) => { if (e.persisted && bannerEl && !chose && !shown) { shown = 1; count('shown'); } });
  const start = () => {
    started = 1;
    if (!decided) { showBanner(); shown = 1; count('shown'); }
    if (me && me.hasAttribute('data-kapsel-floating')) { // shown once the banner is gone
      floatEl = h('button', { type: 'button', class: 'kapsel-float', 'data-kapsel-open': true, 'aria-label': ui('centre'), hidden: !!bannerEl }, '⚙');
      mount(floatEl);
    }
    gate(d);
    if (valid && state.pending) send();
  };
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', start); else start();
})(KAPSEL_CONFIG, KAPSEL_CSS);
