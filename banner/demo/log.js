// Demo page helper (strictly necessary, stores nothing): shows what the gated scripts did, in the
// page's language. window.demoLines keeps the scripts' own event names (the tests read them).
window.demoLog = window.demoLog || function (line) { (window.demoLines = window.demoLines || []).push(line); };
(function () {
  var words = {
    nb: { 'analytics loaded': 'Google Analytics er lastet', 'analytics configured': 'Google Analytics er satt opp',
      'ad conversion linker loaded': 'Google Ads er lastet', 'ad pixel loaded': 'Meta Pixel er lastet',
      'support chat loaded': 'Intercom-chatten er lastet', 'visitor counter shown': 'Besøkstelleren vises', now: 'Tillatt nå' },
    nn: { 'analytics loaded': 'Google Analytics er lasta', 'analytics configured': 'Google Analytics er sett opp',
      'ad conversion linker loaded': 'Google Ads er lasta', 'ad pixel loaded': 'Meta Pixel er lasta',
      'support chat loaded': 'Intercom-chatten er lasta', 'visitor counter shown': 'Besøksteljaren blir vist', now: 'Tillate no' },
    en: { 'analytics loaded': 'Google Analytics loaded', 'analytics configured': 'Google Analytics configured',
      'ad conversion linker loaded': 'Google Ads loaded', 'ad pixel loaded': 'Meta Pixel loaded',
      'support chat loaded': 'Intercom chat loaded', 'visitor counter shown': 'Visitor counter shown', now: 'Allowed now' }
  }[document.documentElement.lang] || {};
  var list = document.getElementById('demo-log');
  function show(line) { var li = document.createElement('li'); li.textContent = words[line] || line; list.append(li); }
  (window.demoLines || []).forEach(show);
  window.demoLog = function (line) { (window.demoLines = window.demoLines || []).push(line); show(line); };
  window.kapsel.on('change', function (c) {
    var li = document.createElement('li');
    li.textContent = (words.now || 'Allowed now') + ': ' + c.services.join(', ');
    list.append(li);
  });
})();
