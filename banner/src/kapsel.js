/*! Kapsel consent banner (Apache-2.0). docs/web-teams.md */
// Owns, in the browser: Consent Mode defaults, the first layer, the preference centre, gating of
// data-kapsel elements, the consent cookie, recording choices, withdrawal clean-up and window.kapsel.
// banner/build.sh minifies this file with esbuild into dist/ (committed); the server embeds dist/
// and replaces KAPSEL_CONFIG and KAPSEL_CSS with the site's configuration and the styles.
(function (C, css) {
  'use strict';
  var w = window, d = document, de = d.documentElement, nav = navigator, NEC = 'necessary',
    NAME = 'kapsel_consent', me = d.currentScript, base = me && me.src || location.href,
    api = new URL(C.api, base).href, dl = w.dataLayer = w.dataLayer || [],
    MODES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
      'functionality_storage', 'personalization_storage', 'security_storage'],
    svcById = {}, listeners = [], ran = new Set(), chain = Promise.resolve(),
    gpcOn = C.gpc && nav.globalPrivacyControl === true, bannerEl, centreEl, spacer, opener, floatEl;
  C.services.forEach(function (s) { svcById[s.id] = s; });
  function gtag() { dl.push(arguments); }

  // Language: <html lang> (no → nb), then nb ⇄ nn, then the file's languages in order.
  var p = (de.lang || '').toLowerCase().split('-')[0];
  if (p === 'no') p = 'nb';
  var langs = [p, p === 'nn' ? 'nb' : p === 'nb' ? 'nn' : ''].concat(C.langs)
    .filter(function (l) { return C.langs.indexOf(l) >= 0; });
  var lang = langs[0];
  function tx(t) { // a per-language text
    for (var i = 0; t && i < langs.length; i++) if (t[langs[i]] != null) return t[langs[i]];
    return '';
  }
  function ui(k, vars) { // a UI text, {name} replaced from vars
    var s;
    for (var i = 0; s == null && i < langs.length; i++) s = (C.texts[langs[i]] || {})[k];
    return typeof s === 'string' ? s.replace(/\{(\w+)\}/g, function (_, v) { return vars[v]; }) : s;
  }

  // The consent cookie: 1|receipt|revision|expires_ms|granted ids (.)|pending action|gpc|ask|secret.
  // secret: the receipt's receipt_secret, the proof the API asks for to replace that receipt.
  function read() {
    var m = d.cookie.match(/(?:^|;\s*)kapsel_consent=([^;]*)/), f = m ? m[1].split('|').map(decodeURIComponent) : [];
    return f[0] === '1' ? { rid: f[1], rev: f[2], exp: +f[3], granted: f[4] ? f[4].split('.') : [], pending: f[5], gpc: f[6] === '1', key: f[8] || '' } : null;
  }
  function write(s) {
    var h = location.hostname, cd = C.cookie_domain, v = ['1', s.rid, s.rev, s.exp, s.granted.join('.'), s.pending, s.gpc ? 1 : 0, '', s.key]
      .map(function (x) { return encodeURIComponent(x == null ? '' : x); }).join('|');
    d.cookie = NAME + '=' + v + ';Path=/;Expires=' + new Date(s.exp).toUTCString() + ';SameSite=Lax' +
      (cd && (h === cd || h.endsWith('.' + cd)) ? ';Domain=' + cd : '') + (location.protocol === 'https:' ? ';Secure' : '');
  }
  var state = read(), decided = !!state && state.rev === C.revision && state.exp > Date.now(),
    granted = new Set(decided ? state.granted : []);

  function allowed(id, g) {
    g = g || granted;
    var s = svcById[id];
    return id === NEC || g.has(id) || !!s && (s.category === NEC || g.has(s.category));
  }
  function consent() {
    return {
      decided: decided, revision: C.revision, receipt: decided && state.rid || null, expires_at_ms: decided ? state.exp : null,
      categories: C.categories.map(function (c) { return c.id; }).filter(function (id) { return allowed(id); }),
      services: C.services.map(function (s) { return s.id; }).filter(function (id) { return allowed(id); })
    };
  }
  function modes() {
    var m = {};
    MODES.forEach(function (t) { m[t] = t === 'security_storage' ? 'granted' : 'denied'; });
    C.services.forEach(function (s) {
      if (decided && allowed(s.id)) (s.consent_mode || []).forEach(function (t) { m[t] = 'granted'; });
    });
    return m;
  }

  // Consent Mode v2 default: synchronously, before any tag on the page can run.
  var def = modes();
  def.wait_for_update = 500;
  gtag('consent', 'default', def);
  if (decided) announce();
  function announce() {
    gtag('consent', 'update', modes());
    dl.push({ event: 'kapsel_consent', kapsel: consent() });
  }

  // Gating: scripts in document order (each src script loads before the next runs), iframes
  // behind a placeholder, templates; each runs once.
  function gate(root) {
    var els = [].slice.call(root.querySelectorAll('[data-kapsel]'));
    if (root.matches && root.matches('[data-kapsel]')) els.unshift(root);
    els.forEach(function (el) {
      var id = el.getAttribute('data-kapsel'), tag = el.tagName, ok = allowed(id);
      if (tag === 'SCRIPT' && el.type === 'text/plain') {
        if (!ok) return;
        el.type = 'text/x-kapsel-queued';
        ran.add(id);
        chain = chain.then(function () { return run(el); });
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
        chain = chain.then(function () { // after the scripts before it, like any markup in order
          var frag = d.importNode(el.content, true);
          frag.querySelectorAll('script:not([data-kapsel])').forEach(function (o) { o.replaceWith(fresh(o, 1)); });
          el.replaceWith(frag);
        });
      }
    });
  }
  function fresh(old, keepType) { // a script element the browser will run (copies may not)
    var s = d.createElement('script');
    [].forEach.call(old.attributes, function (a) { if (keepType || a.name !== 'type') s.setAttribute(a.name, a.value); });
    if (old.dataset.type) s.type = old.dataset.type;
    if (s.src) s.async = false; else s.text = old.text;
    return s;
  }
  function run(old) {
    return new Promise(function (done) {
      var s = fresh(old);
      if (s.src) s.onload = s.onerror = done;
      old.replaceWith(s);
      if (!s.src) done();
    });
  }
  function placeholder(f, id) {
    var s = svcById[id], cat = C.categories.filter(function (c) { return c.id === id; })[0],
      vars = { name: s ? s.name : tx(cat && cat.label) || id, provider: s ? s.provider : '' },
      ph = h('div', { class: 'kapsel-ph', role: 'group', 'aria-label': vars.name, lang: lang },
        h('p', {}, ui('placeholder', vars)),
        h('button', { type: 'button', class: 'kapsel-load', 'data-kapsel-load': id }, ui('load', vars)));
    if (f.width) ph.style.width = 'min(100%,' + f.width + 'px)';
    if (f.height) ph.style.minHeight = f.height + 'px';
    f.kapselPh = ph;
    f.before(ph);
    f.hidden = true;
  }

  // A choice: store it, clean up what is no longer allowed, tell the page, record it.
  function choose(action, g) {
    var before = consent().services, wasDecided = decided, withdrawn;
    if (gpcOn) g = new Set(Array.from(g).filter(function (id) { // never marketing under GPC
      var s = svcById[id], c = C.categories.filter(function (x) { return x.id === (s ? s.category : id); })[0];
      return !(c && c.marketing);
    }));
    if (gpcOn && action === 'accept_all') action = 'gpc';
    withdrawn = wasDecided && before.some(function (id) { return !allowed(id, g); });
    if (withdrawn) action = g.size ? 'custom' : 'withdraw'; // a withdrawal grants nothing
    granted = g;
    decided = true;
    state = {
      rid: state && state.rid, key: state && state.key, rev: C.revision, exp: Date.now() + (g.size ? C.accept_ms : C.reject_ms),
      granted: Array.from(g), pending: action, gpc: gpcOn
    };
    write(state);
    erase();
    hideBanner();
    if (centreEl && centreEl.open) centreEl.close();
    announce();
    gate(d);
    listeners.forEach(function (fn) { fn(consent()); });
    var reload = withdrawn && Array.from(ran).some(function (id) { return !allowed(id); }), sent = send();
    if (reload) sent.then(function () { location.reload(); });
  }
  function send() {
    var s = state, body = { site: C.site, revision: s.rev, language: lang, action: s.pending, gpc: s.gpc, categories: {}, services: {} };
    if (!s.pending) return Promise.resolve();
    if (s.rid) { body.previous_receipt = s.rid; if (s.key) body.receipt_secret = s.key; }
    C.categories.forEach(function (c) { if (c.id !== NEC) body.categories[c.id] = allowed(c.id); });
    C.services.forEach(function (v) { body.services[v.id] = allowed(v.id); });
    function post() {
      return fetch(api, {
        method: 'POST', keepalive: true, credentials: 'omit',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
      }).then(function (r) {
        if (r.status >= 500 || r.status === 429) throw r; // kept pending: sent again on the next page view
        if (r.status >= 400 && body.previous_receipt) { // e.g. a receipt from another ledger: record without it
          delete body.previous_receipt;
          delete body.receipt_secret;
          return post();
        }
        return r.status < 300 ? r.json() : {};
      });
    }
    return post().then(function (rc) {
      if (state !== s) return;
      if (rc.id) { s.rid = rc.id; s.key = rc.receipt_secret || ''; s.exp = rc.expires_at_ms || s.exp; }
      s.pending = '';
      write(s);
    }, function () {});
  }
  // Withdrawal: delete the first-party cookies and storage keys of every service not allowed now,
  // by exact name or prefix, on every path and domain variant they may have been set with.
  function erase() {
    var hosts = [''], paths = ['/'], parts = location.hostname.split('.'), segs = location.pathname.split('/'), i;
    for (i = 0; i < parts.length; i++) hosts.push(';Domain=' + parts.slice(i).join('.'));
    for (i = 2; i <= segs.length; i++) paths.push(segs.slice(0, i).join('/'), segs.slice(0, i).join('/') + '/');
    var names = d.cookie.split(';').map(function (c) { return c.split('=')[0].trim(); });
    C.services.forEach(function (s) {
      if (allowed(s.id)) return;
      (s.cookies || []).forEach(function (c) {
        var hit = function (n) { return c.prefix ? n.indexOf(c.name) === 0 : n === c.name; }, kind = c.kind || 'cookie';
        if (kind === 'cookie' && !c.domain) names.filter(hit).forEach(function (n) {
          hosts.forEach(function (hh) {
            paths.forEach(function (pp) { d.cookie = n + '=;Max-Age=0;Path=' + pp + hh; });
          });
        });
        var st = kind === 'local_storage' ? w.localStorage : kind === 'session_storage' ? w.sessionStorage : null;
        if (st) Object.keys(st).filter(hit).forEach(function (k) { st.removeItem(k); });
      });
    });
  }

  // The user interface. Texts are set as text nodes, never as HTML.
  function h(tag, attrs) {
    var e = d.createElement(tag), k;
    for (k in attrs) if (attrs[k] != null && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    for (k = 2; k < arguments.length; k++) if (arguments[k] != null) e.append(arguments[k]);
    return e;
  }
  function btn(a, cls) { return h('button', { type: 'button', 'data-kapsel-action': a, class: cls }, ui(a)); }
  function link(k) {
    var u = tx(C.links[k]);
    return u ? h('a', { href: new URL(u, base).href }, ui(k)) : null;
  }
  function mount(el) { (d.body || de).prepend(el); }
  function showBanner() {
    if (bannerEl) return;
    bannerEl = h('section', { id: 'kapsel-banner', 'aria-labelledby': 'kapsel-title', lang: lang },
      h('h2', { id: 'kapsel-title' }, ui('title')),
      h('p', {}, ui('body')),
      h('p', { class: 'kapsel-links' }, link('cookies'), ' ', link('privacy')),
      h('div', { class: 'kapsel-actions' }, btn('accept_all'), btn('reject_all'), btn('settings')));
    mount(bannerEl);
    spacer = h('div', { 'aria-hidden': 'true', class: 'kapsel-spacer' });
    d.body.append(spacer);
    // The spacer follows the banner's height after layout (reading offsetHeight here would
    // force a synchronous layout of the whole page).
    new ResizeObserver(function (es) {
      if (spacer) spacer.style.height = es[0].borderBoxSize[0].blockSize + 'px';
    }).observe(bannerEl);
  }
  function hideBanner() {
    if (bannerEl) { bannerEl.remove(); spacer.remove(); bannerEl = spacer = null; }
    if (floatEl) floatEl.hidden = false;
  }
  function words(dur) {
    var m = /^(\d+)\s*([a-z]+?)s?$/.exec(dur), n = m && +m[1], u = m && ui(m[2]);
    return u ? n + ' ' + u[n === 1 ? 0 : 1] : ui(dur) || dur;
  }
  function country(cc) {
    try { return new Intl.DisplayNames([lang], { type: 'region' }).of(cc); } catch (e) { return cc; }
  }
  function service(s, nec) {
    var id = 'kapsel-s-' + s.id, where = (s.transfers || []).map(function (t) {
      return country(t.country) + ' (' + ui(t.safeguard) + ')';
    }).join(', ');
    return h('div', { class: 'kapsel-svc' },
      h('div', { class: 'kapsel-row' },
        nec ? null : h('input', { type: 'checkbox', role: 'switch', id: id, 'data-kapsel-service': s.id, 'data-kapsel-in': s.category }),
        h(nec ? 'strong' : 'label', { for: nec ? null : id }, s.name)),
      h('p', {}, ui('provider') + ': ' + s.provider + ' (' + country(s.country) + '). ' + ui('purpose') + ': ' + tx(s.purpose) +
        (where ? ' ' + ui('data_goes') + ': ' + where + '.' : '')),
      s.policy ? h('p', {}, h('a', { href: s.policy }, ui('policy', { name: s.name }))) : null,
      h('ul', {}, (s.cookies || []).map(function (c) {
        var extra = [c.kind && c.kind !== 'cookie' ? ui(c.kind) : '', c.party === 'third' ? ui('third_party') + (c.domain ? ' ' + c.domain : '') : '']
          .filter(Boolean).join(', ');
        return h('li', {}, h('code', {}, c.name + (c.prefix ? '…' : '')), (extra ? ' (' + extra + ')' : '') + ': ' +
          words(c.duration) + (c.purpose ? '. ' + tx(c.purpose) : ''));
      }).reduce(function (a, li) { a.append(li); return a; }, d.createDocumentFragment())));
  }
  function category(c) {
    var nec = c.id === NEC, id = 'kapsel-c-' + c.id, svcs = C.services.filter(function (s) { return s.category === c.id; }),
      box = h('details', {}, h('summary', {}, ui('services') + ' (' + svcs.length + ')'));
    svcs.forEach(function (s) { box.append(service(s, nec)); });
    return h('div', { class: 'kapsel-cat' },
      h('div', { class: 'kapsel-row' },
        h('input', { type: 'checkbox', role: 'switch', id: id, 'data-kapsel-category': c.id, 'aria-describedby': id + '-d', checked: nec, disabled: nec }),
        h('label', { for: id }, tx(c.label) + (nec ? ' (' + ui('always_on') + ')' : ''))),
      h('p', { id: id + '-d' }, tx(c.description)),
      svcs.length ? box : null);
  }
  function buildCentre() {
    centreEl = h('dialog', { id: 'kapsel-centre', 'aria-labelledby': 'kapsel-ctitle', lang: lang },
      h('div', { class: 'kapsel-head' }, h('h2', { id: 'kapsel-ctitle' }, ui('centre')),
        h('button', { type: 'button', class: 'kapsel-x', 'data-kapsel-action': 'close', 'aria-label': ui('close') }, '×')),
      h('p', {}, ui('intro')),
      gpcOn ? h('p', { class: 'kapsel-note' }, ui('gpc')) : null,
      h('p', { class: 'kapsel-note', id: 'kapsel-status' }),
      h('div', {}, C.categories.map(category).reduce(function (a, e) { a.append(e); return a; }, d.createDocumentFragment())),
      h('div', { class: 'kapsel-actions' }, btn('reject_all'), btn('accept_all'), btn('save')));
    centreEl.addEventListener('close', function () {
      if (opener && opener.isConnected) opener.focus();
    });
    centreEl.addEventListener('keydown', trap);
    centreEl.addEventListener('change', sync);
    mount(centreEl);
  }
  function open() {
    if (!centreEl) buildCentre();
    opener = d.activeElement;
    centreEl.querySelectorAll('input:not([disabled])').forEach(function (i) {
      var id = i.dataset.kapselCategory || i.dataset.kapselService;
      i.checked = decided && (i.dataset.kapselCategory ? granted.has(id) : allowed(id));
    });
    centreEl.querySelectorAll('[data-kapsel-category]').forEach(sync);
    var st = centreEl.querySelector('#kapsel-status');
    st.textContent = decided && state.rid ? ui('status', {
      until: new Intl.DateTimeFormat(lang, { dateStyle: 'long' }).format(state.exp), id: state.rid
    }) : '';
    st.hidden = !st.textContent;
    if (!centreEl.open) centreEl.showModal();
    centreEl.querySelector('.kapsel-x').focus();
  }
  function sync(e) { // keep a category's switch and its services' switches in step
    var i = e.target || e, cat = i.dataset.kapselCategory || i.dataset.kapselIn,
      all = centreEl.querySelectorAll('[data-kapsel-in="' + cat + '"]'), on = 0, c;
    if (i.dataset.kapselCategory && e.target) all.forEach(function (s) { s.checked = i.checked; });
    all.forEach(function (s) { on += s.checked; });
    c = centreEl.querySelector('[data-kapsel-category="' + cat + '"]');
    if (c && !c.disabled && all.length) { c.checked = on === all.length; c.indeterminate = on > 0 && on < all.length; }
  }
  function trap(e) {
    if (e.key !== 'Tab') return;
    var f = [].filter.call(centreEl.querySelectorAll('button,input:not([disabled]),summary,a[href]'), function (x) {
      return x.getClientRects().length;
    }), first = f[0], last = f[f.length - 1];
    if (e.shiftKey ? d.activeElement === first : d.activeElement === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  }
  function all(except) {
    var g = new Set();
    C.categories.forEach(function (c) { if (c.id !== NEC && !(except && c.marketing)) g.add(c.id); });
    return g;
  }
  function fromCentre() {
    var g = new Set();
    centreEl.querySelectorAll('[data-kapsel-category]:checked:not([disabled])').forEach(function (i) { g.add(i.dataset.kapselCategory); });
    centreEl.querySelectorAll('[data-kapsel-service]:checked').forEach(function (i) {
      if (!g.has(i.dataset.kapselIn)) g.add(i.dataset.kapselService);
    });
    return g;
  }
  d.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-kapsel-action],[data-kapsel-open],[data-kapsel-load]');
    if (!t) return;
    var a = t.getAttribute('data-kapsel-action');
    e.preventDefault();
    if (t.hasAttribute('data-kapsel-open') || a === 'settings') open();
    else if (a === 'close') centreEl.close();
    else if (a === 'accept_all') choose(a, all(gpcOn));
    else if (a === 'reject_all') choose(a, new Set());
    else if (a === 'save') choose('custom', fromCentre());
    else if (t.dataset.kapselLoad) choose('custom', new Set(Array.from(granted).concat(t.dataset.kapselLoad)));
  });
  // Never hide focused content behind the banner: scroll it into the free part of the viewport.
  d.addEventListener('focusin', function (e) {
    if (!bannerEl || bannerEl.contains(e.target) || !e.target.getBoundingClientRect) return;
    var r = e.target.getBoundingClientRect(), b = bannerEl.getBoundingClientRect();
    if (r.bottom > b.top && r.top < b.bottom) w.scrollBy(0, r.bottom - b.top + 8);
  });

  w.kapsel = {
    open: open,
    consent: consent,
    on: function (ev, fn) { if (ev === 'change') listeners.push(fn); },
    accept: function () { choose('custom', new Set(Array.from(granted).concat([].slice.call(arguments)))); }
  };

  var style = h('style', { id: 'kapsel-style' }, css);
  (d.head || de).append(style);
  function start() {
    if (!decided) showBanner();
    if (me && me.hasAttribute('data-kapsel-floating')) { // shown once the banner is gone
      floatEl = h('button', { type: 'button', class: 'kapsel-float', 'data-kapsel-open': true, 'aria-label': ui('centre'), hidden: !!bannerEl }, '⚙');
      mount(floatEl);
    }
    gate(d);
    new MutationObserver(function (ms) {
      ms.forEach(function (m) { m.addedNodes.forEach(function (n) { if (n.nodeType === 1) gate(n); }); });
    }).observe(de, { childList: true, subtree: true });
    if (decided && state.pending) send();
  }
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', start); else start();
})(KAPSEL_CONFIG, KAPSEL_CSS);
