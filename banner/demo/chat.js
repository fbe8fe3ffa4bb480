// Fake Intercom messenger for the demo: sets intercom-id-<app> (9 months) and
// intercom-session-<app> (1 week) the way the Intercom widget does, for a fictional app id.
(function () {
  window.demoLines = window.demoLines || [];
  window.demoLog = window.demoLog || function (line) { window.demoLines.push(line); };
  var app = 'demo1234', id = Math.floor(Math.random() * 1e9).toString(16);
  document.cookie = 'intercom-id-' + app + '=' + id + ';Max-Age=23328000;Path=/;SameSite=Lax';
  document.cookie = 'intercom-session-' + app + '=;Max-Age=604800;Path=/;SameSite=Lax';
  window.demoChatLoaded = (window.demoChatLoaded || 0) + 1;
  demoLog('support chat loaded');
})();
