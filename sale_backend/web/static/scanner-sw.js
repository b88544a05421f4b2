// Service worker of the door scanner page (served as /staff/scanner-sw.js, scope /staff/):
// the page and its scripts load without network. The scanner page is fetched from the network
// first and kept (only real scanner pages, marked x-scanner-page, never a login page); static
// files come from the cache and are refreshed in the background. API calls are not touched:
// the page keeps its ticket list and offline scans in IndexedDB itself.
"use strict";
var CACHE_VERSION = "2";
var STATIC_CACHE = "waitroom-scanner-static-" + CACHE_VERSION;
var PAGE_CACHE = "waitroom-scanner-pages";
var NETWORK_TIMEOUT_MS = 4000;
var base = self.location.pathname.replace(/\/staff\/scanner-sw\.js$/, "");
var SCANNER_PAGE = base + "/staff/scan";
var ASSETS = [
  "/static/shop.css",
  "/static/scanner.js",
  "/static/scanner-codes.js",
  "/static/scanner-camera.js",
  "/static/vendor/idb.umd.js",
  "/static/vendor/zxing-library.min.js"
].map(function (path) { return base + path; });

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("waitroom-scanner-static-") === 0 && name !== STATIC_CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("network time-out")); }, NETWORK_TIMEOUT_MS);
    promise.then(
      function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); }
    );
  });
}

function keepPage(request, response) {
  if (response.ok && response.headers.get("x-scanner-page")) {
    var copy = response.clone();
    caches.open(PAGE_CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

function cachedPage(request) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(request).then(function (found) {
      return found || cache.match(request, { ignoreSearch: true });
    });
  });
}

function scannerPage(request) {
  return withTimeout(fetch(request))
    .then(function (response) { return keepPage(request, response); })
    .catch(function (error) {
      return cachedPage(request).then(function (found) {
        if (found) return found;
        throw error;
      });
    });
}

function staticFile(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (found) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (found) {
        fresh.catch(function () { return null; });
        return found;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SCANNER_PAGE) {
    event.respondWith(scannerPage(request));
  } else if (url.pathname.indexOf(base + "/static/") === 0) {
    event.respondWith(staticFile(request));
  }
});

self.addEventListener("message", function (event) {
  var message = event.data || {};
  if (message.type === "cache-page" && typeof message.url === "string") {
    var url = new URL(message.url, self.location.href);
    if (url.origin !== self.location.origin || url.pathname !== SCANNER_PAGE) return;
    event.waitUntil(
      fetch(url.href, { credentials: "same-origin" })
        .then(function (response) { keepPage(new Request(url.href), response); })
        .catch(function () { return null; })
    );
  } else if (message.type === "forget") {
    event.waitUntil(caches.delete(PAGE_CACHE));
  }
});
