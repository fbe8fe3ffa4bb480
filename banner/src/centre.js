/*! Kapsel preference centre (Apache-2.0). docs/web-teams.md */
// Owns, in the browser: the preference centre — a modal dialog with a switch per category and per
// service, each service's details and cookies, the current choice and its receipt. Served as
// /s/{site}/centre.js?rev=…&v=…&lang=… by the Kapsel server, which replaces KAPSEL_DETAILS with
// the site's details in one language (its styles, texts, category descriptions, and per service
// label/value rows, its provider's privacy policy and its cookies, in the documents' own words,
// and the path of the site's privacy centre, linked at the end of the centre's content).
// kapsel.js loads it the first time a visitor opens the settings; it registers itself through
// kapsel._centre and gets what it needs of kapsel.js (K) in return.
window.kapsel._centre((K) => {
  'use strict';
  const D = KAPSEL_DETAILS, d = document, { C, h, link, allowed } = K, NEC = 'necessary',
    ui = (k, vars) => k in D.texts ? D.texts[k].replace(/\{(\w+)\}/g, (_, v) => vars[v]) : K.ui(k, vars),
    toggle = (a) => h('input', Object.assign(a, { type: 'checkbox', role: 'switch' })),
    btn = (a) => h('button', { type: 'button', 'data-kapsel-action': a }, ui(a));
  let opener;
  const service = (s, c, cat) => {
    const nec = c.id === NEC, x = D.services[s.id] || {}, id = 'kapsel-s-' + s.id, pol = x.policy && link(x.policy[0], x.policy[1]);
    return h('div', { class: 'kapsel-svc' },
      h('div', { class: 'kapsel-row' },
        nec ? null : toggle({ id, 'data-kapsel-service': s.id, 'data-kapsel-in': c.id, disabled: cat.disabled }),
        h(nec ? 'strong' : 'label', { for: nec ? null : id }, s.name)),
      h('dl', {}, (x.rows || []).map((r) => [h('dt', {}, r[0]), h('dd', {}, r[1])])),
      pol ? h('p', {}, pol) : null,
      h('ul', {}, (x.cookies || []).map((k) => h('li', {}, h('code', {}, k[0]), k[1]))));
  };
  const category = (c) => {
    const nec = c.id === NEC, id = 'kapsel-c-' + c.id, svcs = C.services.filter((s) => s.category === c.id),
      cat = toggle({ id, 'data-kapsel-category': c.id, 'aria-describedby': id + '-d', checked: nec, disabled: nec || K.marketing(c.id) });
    return h('div', { class: 'kapsel-cat' },
      h('div', { class: 'kapsel-row' }, cat, h('label', { for: id }, K.tx(c.label) + (nec ? ' (' + ui('always_on') + ')' : ''))),
      h('p', { id: id + '-d' }, D.categories[c.id] || ''),
      svcs.length ? h('details', {}, h('summary', {}, ui('services') + ' (' + svcs.length + ')'), svcs.map((s) => service(s, c, cat))) : null);
  };
  const rights = link(D.rights, ui('rights'));
  // The current choice and its receipt, which the visitor can keep: the signed receipt as the
  // ledger gives it (GET /v1/receipts/{id}), saved as a file they can show anyone (docs/ledger.md).
  const said = h('span', {}), failed = h('span', { role: 'status' }),
    download = h('button', { type: 'button', class: 'kapsel-link', 'data-kapsel-action': 'download' }, ui('download')),
    status = h('p', { class: 'kapsel-note' }, said, ' ', download, failed),
    el = h('dialog', { id: 'kapsel-centre', 'aria-labelledby': 'kapsel-ctitle', lang: K.lang },
      h('style', {}, D.css),
      h('div', { class: 'kapsel-head' }, h('h2', { id: 'kapsel-ctitle' }, ui('centre')),
        h('button', { type: 'button', class: 'kapsel-x', 'data-kapsel-action': 'close', 'aria-label': ui('close') }, '×')),
      h('div', { class: 'kapsel-body' }, h('p', {}, ui('intro')), K.note(), status, C.categories.map(category),
        // The site's privacy centre on the Kapsel host this script came from (D.rights is a path).
        rights ? h('p', { class: 'kapsel-links' }, rights) : null),
      // The first layer's order: reject, accept, then save.
      h('div', { class: 'kapsel-actions' }, btn('reject_all'), btn('accept_all'), btn('save')));
  const sync = (e) => { // keep a category's switch and its services' switches in step
    const i = e.target || e, cat = i.dataset.kapselCategory || i.dataset.kapselIn,
      all = el.querySelectorAll('[data-kapsel-in="' + cat + '"]'), c = el.querySelector('[data-kapsel-category="' + cat + '"]');
    let on = 0;
    if (i.dataset.kapselCategory && e.target) all.forEach((s) => { s.checked = i.checked; });
    all.forEach((s) => { on += s.checked; });
    if (c && !c.disabled && all.length) { c.checked = on === all.length; c.indeterminate = on > 0 && on < all.length; }
  };
  const picked = () => { // the choice the switches show
    const g = new Set();
    el.querySelectorAll('[data-kapsel-category]:checked:not([disabled])').forEach((i) => g.add(i.dataset.kapselCategory));
    el.querySelectorAll('[data-kapsel-service]:checked:not([disabled])').forEach((i) => {
      if (!g.has(i.dataset.kapselIn)) g.add(i.dataset.kapselService);
    });
    return g;
  };
  el.addEventListener('change', sync);
  el.addEventListener('close', () => { if (opener && opener.isConnected) opener.focus(); });
  el.addEventListener('click', (e) => {
    const a = e.target.closest('[data-kapsel-action]');
    if (a && a.dataset.kapselAction === 'close') el.close();
    if (a && a.dataset.kapselAction === 'save') K.choose('custom', picked());
    if (a && a.dataset.kapselAction === 'download') save(K.now()[1]);
  });
  el.addEventListener('keydown', (e) => { // Tab stays in the dialog
    if (e.key !== 'Tab') return;
    const f = [...el.querySelectorAll('button,input:not([disabled]),summary,a[href]')].filter((x) => x.getClientRects().length),
      head = f[0], tail = f[f.length - 1];
    if (e.shiftKey ? d.activeElement === head : d.activeElement === tail) {
      e.preventDefault();
      (e.shiftKey ? tail : head).focus();
    }
  });
  const save = (state) => {
    failed.textContent = '';
    if (!state || !state.rid) return;
    fetch(new URL('/v1/receipts/' + state.rid, K.api), { credentials: 'omit' })
      .then((r) => { if (!r.ok) throw r; return r.blob(); })
      .then((b) => {
        const a = h('a', { href: URL.createObjectURL(b), download: 'kapsel-receipt-' + state.rid + '.json', hidden: true });
        el.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      })
      .catch(() => { failed.textContent = ' ' + ui('download_failed'); });
  };
  (d.body || d.documentElement).prepend(el);
  return {
    open: (o) => {
      const [granted, state] = K.now();
      opener = o;
      el.querySelectorAll('input:not([disabled])').forEach((i) => {
        const id = i.dataset.kapselCategory || i.dataset.kapselService;
        i.checked = i.dataset.kapselCategory ? granted.has(id) : allowed(id);
      });
      el.querySelectorAll('[data-kapsel-category]').forEach(sync);
      // Intl has no nynorsk dates in Chromium (it falls back to English); nn and nb share them.
      said.textContent = state && state.rid ? ui('status', {
        until: new Intl.DateTimeFormat(K.lang === 'nn' ? 'nb' : K.lang, { dateStyle: 'long' }).format(state.exp), id: state.rid
      }) : '';
      failed.textContent = '';
      status.hidden = !said.textContent;
      if (!el.open) el.showModal();
      el.querySelector('.kapsel-x').focus();
    },
    close: () => { if (el.open) el.close(); }
  };
});
