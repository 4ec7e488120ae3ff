// Core Group's service worker, release {{ version }} (rendered by coregroup/offline.py).
// - The app's own files: kept at install, served from the phone (a new release is a new cache).
// - The family's plan page: network first; the last good copy is kept only when the family
//   member chose "keep the plan on this phone" on this phone, and only pages the server marks
//   as that person's family view (X-Offline-Copy, X-Offline-User). Nothing else is kept.
//   The copy is shown only when the network fails, never in a race with a slow network (the
//   person now signing in may not be the one who kept it).
// - Views written with no signal are sent from here too when the worker starts.
importScripts({{ drafts_url|tojson }});
const drafts = self.CoreGroupDrafts;
const SHELL = "coregroup-shell-{{ version }}";
const SHELL_FILES = {{ shell|tojson }};
const OFFLINE = {{ url_for("offline.offline_page")|tojson }};
const FINGERPRINTED = "/static/dist/fp/";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(SHELL_FILES.filter((url) => url !== OFFLINE));
    // The offline page is kept as a stranger sees it: nobody's name or token in it.
    await cache.put(OFFLINE, await fetch(OFFLINE, { credentials: "omit" }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("coregroup-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
    await drafts.sendAll();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "sign-out") event.waitUntil(drafts.wipe());
  if (event.data === "send") event.waitUntil(drafts.sendAll());
  if (event.data && event.data.keep) event.waitUntil(keep(event.data.keep, event.ports[0]));
});

// The family member has just chosen to keep the plan: keep the page they are reading now.
async function keep(path, reply) {
  let kept = false;
  try {
    const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
    if (response.ok && response.headers.get("X-Offline-Copy") === "family-plan") {
      await (await caches.open(drafts.PLANS)).put(path, response);
      kept = true;
    }
  } finally {
    if (reply) reply.postMessage({ kept });
  }
}

async function keepFingerprinted(request) {
  const cache = await caches.open(SHELL);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (SHELL_FILES.includes(url.pathname) && url.pathname !== OFFLINE) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  } else if (url.pathname.startsWith(FINGERPRINTED)) {
    // A fingerprinted file never changes: a script's font, once seen, stays for offline pages.
    event.respondWith(keepFingerprinted(request));
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(request));
    event.waitUntil(drafts.sendAll().catch(() => {}));
  }
});

async function navigate(request) {
  const path = new URL(request.url).pathname;
  const network = fetch(request).then(async (response) => {
    if (
      response.ok &&
      response.headers.get("X-Offline-Copy") === "family-plan" &&
      (await drafts.keepsPlan(response.headers.get("X-Offline-User")))
    ) {
      await (await caches.open(drafts.PLANS)).put(path, response.clone());
    } else if (response.status === 404 || response.status === 410) {
      // No longer theirs (they left the core group, or the case closed and its reading period
      // ended): the copy kept on the phone goes too.
      await (await caches.open(drafts.PLANS)).delete(path, { ignoreVary: true, ignoreSearch: true });
    }
    return response;
  });
  try {
    return await network;
  } catch (error) {
    // No signal: the kept copy, else the offline page.
    return (await keptCopy(path)) || (await caches.match(OFFLINE)) || Response.error();
  }
}

async function keptCopy(path) {
  const cache = await caches.open(drafts.PLANS);
  return cache.match(path, { ignoreVary: true, ignoreSearch: true });
}

drafts.sendAll().catch(() => {}); // the worker has started: anything waiting goes now
