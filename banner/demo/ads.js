// Fake Google Ads conversion linker for the demo: sets _gcl_au (90 days) the way gtag.js does.
(function () {
  window.demoLines = window.demoLines || [];
  window.demoLog = window.demoLog || function (line) { window.demoLines.push(line); };
  document.cookie = '_gcl_au=1.1.' + Math.floor(Math.random() * 1e9) + '.' + Math.floor(Date.now() / 1000) + ';Max-Age=7776000;Path=/;SameSite=Lax';
  window.demoAdsLoaded = (window.demoAdsLoaded || 0) + 1;
  demoLog('ad conversion linker loaded');
})();
