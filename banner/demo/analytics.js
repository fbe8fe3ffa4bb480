// Fake Google Analytics 4 for the demo: sets _ga and _ga_DEMO123 the way gtag.js does (2 years).
(function () {
  window.demoLines = window.demoLines || [];
  window.demoLog = window.demoLog || function (line) { window.demoLines.push(line); };
  window.dataLayer = window.dataLayer || [];
  window.gtag = window.gtag || function () { window.dataLayer.push(arguments); };
  var now = Math.floor(Date.now() / 1000), id = Math.floor(Math.random() * 1e9);
  var twoYears = ';Max-Age=63072000;Path=/;SameSite=Lax';
  document.cookie = '_ga=GA1.1.' + id + '.' + now + twoYears;
  document.cookie = '_ga_DEMO123=GS1.1.' + now + '.1.0.' + now + '.0.0.0' + twoYears;
  window.demoAnalyticsLoaded = (window.demoAnalyticsLoaded || 0) + 1;
  demoLog('analytics loaded');
})();
