// Views written on this phone, kept in IndexedDB until the server has them.
// A classic script shared by the pages (window) and the service worker (self): both may send.
// Nothing here depends on Background Sync: drafts are sent on page load, when the connection
// comes back ("online"), and when the service worker starts, with back-off between tries.
(function (scope) {
  "use strict";
  const NAME = "coregroup";
  const PLANS = "coregroup-plans"; // the Cache API store of the family's plan pages
  const channel = "BroadcastChannel" in scope ? new BroadcastChannel("coregroup-drafts") : null;
  const listeners = [];
  let sending = null;

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore("drafts", { keyPath: "id" });
        request.result.createObjectStore("settings");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(store, mode, action) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(store, mode);
        const request = action(transaction.objectStore(store));
        transaction.oncomplete = () => resolve(request && request.result);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  const api = {
    PLANS,
    all: () => run("drafts", "readonly", (s) => s.getAll()),
    put: (draft) => run("drafts", "readwrite", (s) => s.put(draft)),
    remove: (id) => run("drafts", "readwrite", (s) => s.delete(id)),
    setting: (key) => run("settings", "readonly", (s) => s.get(key)),
    set: (key, value) => run("settings", "readwrite", (s) => s.put(value, key)),
    // Whether this person chose to keep the plan on this phone (the setting names who chose).
    async keepsPlan(user) {
      const chosen = await api.setting("keepPlan");
      return chosen !== undefined && chosen !== null && String(chosen) === String(user);
    },
    // Tell this page and every other page and worker of the app that drafts changed.
    changed() {
      for (const callback of listeners) callback();
      if (channel) channel.postMessage("changed");
    },
    listen(callback) {
      listeners.push(callback);
      if (channel) channel.addEventListener("message", () => callback());
    },
    // Everything of the person on this phone: drafts, settings and kept plan pages.
    async wipe() {
      await caches.delete(PLANS);
      await new Promise((resolve) => {
        const request = indexedDB.deleteDatabase(NAME);
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      });
    },
    // Wait before the next try: 5 s, 10 s, 20 s … up to 5 minutes.
    backOff(draft) {
      draft.attempts = (draft.attempts || 0) + 1;
      draft.nextTry = Date.now() + Math.min(5000 * 2 ** (draft.attempts - 1), 300000);
      draft.status = "waiting";
    },
    due(draft, now) {
      return ["saved", "waiting", "sign-in"].includes(draft.status) && (now || (draft.nextTry || 0) <= Date.now());
    },
    // `now`: the connection is back, or the page was opened: try at once, whatever the back-off.
    sendAll(now = false) {
      if (!sending) sending = send(now).finally(() => { sending = null; });
      return sending;
    },
  };

  async function exists() {
    if (!indexedDB.databases) return true;
    return (await indexedDB.databases()).some((found) => found.name === NAME);
  }

  async function send(now) {
    if (!(await exists())) return; // nothing written on this phone (or signed out since)
    const drafts = (await api.all()).filter((draft) => api.due(draft, now));
    if (!drafts.length) return;
    let token, user;
    try {
      const response = await fetch("/session/token", { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) {
        for (const draft of drafts) {
          draft.status = "sign-in";
          await api.put(draft);
        }
        api.changed();
        return;
      }
      ({ csrfToken: token, user } = await response.json());
    } catch (error) {
      for (const draft of drafts) {
        api.backOff(draft);
        await api.put(draft);
      }
      api.changed();
      return;
    }
    for (const draft of drafts) {
      if (String(draft.user) !== String(user)) continue; // someone else's words wait for them to sign in
      try {
        const response = await fetch(draft.url, {
          method: "POST",
          credentials: "same-origin",
          redirect: "manual", // a redirect means signed out, never "sent"
          headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
          body: JSON.stringify({ views: draft.text, base: draft.base }),
        });
        const json = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
        if (response.ok && json && json.saved) {
          draft.status = "sent";
          draft.version = json.version;
          draft.sentAt = Date.now();
        } else if (response.status === 409 && json) {
          draft.status = "conflict";
        } else if ((response.status === 400 || response.status === 422) && json && json.errors) {
          draft.status = "rejected";
          draft.error = json.errors.map((e) => e.detail).join(" ");  // problem details (RFC 9457)
        } else if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          draft.status = "sign-in";
        } else {
          api.backOff(draft);
        }
      } catch (error) {
        api.backOff(draft);
      }
      await api.put(draft);
    }
    api.changed();
  }

  scope.CoreGroupDrafts = api;
})(self);
