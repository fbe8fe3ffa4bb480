// Fake Meta Pixel for the demo: sets _fbp (90 days) and loads a pixel from the other loopback host
// name, which sets a real third-party cookie there.
(function () {
  window.demoLines = window.demoLines || [];
  window.demoLog = window.demoLog || function (line) { window.demoLines.push(line); };
  var other = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  document.cookie = '_fbp=fb.1.' + Date.now() + '.' + Math.floor(Math.random() * 1e9) + ';Max-Age=7776000;Path=/;SameSite=Lax';
  new Image().src = location.protocol + '//' + other + ':' + location.port + '/demo/tracker/pixel.gif?ev=PageView';
  window.demoPixelLoaded = (window.demoPixelLoaded || 0) + 1;
  demoLog('ad pixel loaded');
})();
