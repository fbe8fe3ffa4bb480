// Demo page helper (strictly necessary, stores nothing): shows what the gated scripts did.
window.demoLog = window.demoLog || function (line) { (window.demoLines = window.demoLines || []).push(line); };
(function () {
  var list = document.getElementById('demo-log');
  function show(line) { var li = document.createElement('li'); li.textContent = line; list.append(li); }
  (window.demoLines || []).forEach(show);
  window.demoLog = function (line) { (window.demoLines = window.demoLines || []).push(line); show(line); };
  window.kapsel.on('change', function (c) { show('kapsel: ' + (c.services.join(', ') || '—')); });
})();
