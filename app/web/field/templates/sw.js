/* The field app's service worker (scope /field/).
 * Rules: the app shell (URLS) is precached at install under a cache named after the shell version; shell
 * requests are answered cache-first; /api/ is never touched (network only). The worker does not skip waiting
 * by itself: a new version activates when no page of the old one is open, or when the page asks (`更新`,
 * offered only when no form holds unsaved input). Old caches are deleted on activation. */
const VERSION = "__VERSION__";
const URLS = __URLS__;
const CACHE = "field-shell-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(URLS.map((url) => new Request(url, { cache: "no-cache" }))))
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("field-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const key = event.request.mode === "navigate" && url.pathname.startsWith("/field") ? "/field/" : url.pathname;
  if (!URLS.includes(key)) return;
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(key).then((hit) => hit || fetch(event.request)))
  );
});
