// Injected into every frame before the page's own scripts run. It reports each cookie written
// through document.cookie, each web-storage key set and each IndexedDB database opened, with the
// URL of the script that did it (the first http(s) frame of the JavaScript stack), through the
// DevTools binding `__kapselScanReport`. Reading is untouched; the page sees no difference.
(() => {
  const report = globalThis.__kapselScanReport;
  if (typeof report !== "function") return;
  const caller = () => {
    const stack = String(new Error().stack || "");
    const match = stack.match(/(https?:\/\/[^\s()]+?):\d+:\d+/);
    return match ? match[1] : null;
  };
  const send = (store, name) => {
    try {
      report(JSON.stringify({ store, name: String(name), script: caller(), origin: location.origin }));
    } catch (_) { /* never break the page */ }
  };
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (cookie && cookie.set && cookie.get) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: cookie.enumerable,
      get() { return cookie.get.call(this); },
      set(value) {
        send("cookie", String(value).split(";")[0].split("=")[0].trim());
        cookie.set.call(this, value);
      },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    let store = "session_storage";
    try { if (this === globalThis.localStorage) store = "local_storage"; } catch (_) { }
    send(store, key);
    return setItem.call(this, key, value);
  };
  if (globalThis.IDBFactory) {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (name, ...rest) {
      send("indexed_db", name);
      return open.call(this, name, ...rest);
    };
  }
})();
