// The app on a phone: register the service worker, keep the family's plan on the phone when
// the family member chooses it, keep views written with no signal and send them later.
// Progressive enhancement only: with JavaScript off, the plan page and its form work as they are.
const drafts = self.CoreGroupDrafts;
const user = document.body.dataset.user;
const script = document.getElementById("offline-script");

async function forgetOtherPeople() {
  // A phone is often shared: what one person kept is never shown to the next.
  const seen = await drafts.setting("user");
  if (user && seen !== undefined && String(seen) !== user) {
    await caches.delete(drafts.PLANS);
    await drafts.set("keepPlan", null);
  }
  if (user) await drafts.set("user", user);
}

function signOutClearsEverything() {
  for (const form of document.querySelectorAll("form.app-sign-out")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // Views not yet sent would be lost: say so first (they can be downloaded from the plan).
      const unsent = user
        ? (await drafts.all()).filter((d) => String(d.user) === user && d.status !== "sent")
        : [];
      if (unsent.length && !window.confirm(form.dataset.textUnsent)) return;
      try {
        await drafts.wipe();
        navigator.serviceWorker?.controller?.postMessage("sign-out");
      } finally {
        form.submit();
      }
    });
  }
}

function offlineBanner() {
  const banner = document.getElementById("offline-banner");
  if (!banner) return;
  const show = () => { banner.hidden = navigator.onLine; };
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  show();
}

async function keepPlanChoice() {
  const box = document.getElementById("keep-plan-choice");
  if (!box || !("serviceWorker" in navigator) || !("caches" in window)) return;
  const input = box.querySelector("input[type=checkbox]");
  input.checked = await drafts.keepsPlan(user);
  box.hidden = false;
  input.addEventListener("change", async () => {
    if (input.checked) {
      await drafts.set("keepPlan", user);
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
      // The service worker keeps the copy: it is the one that reads it back with no signal.
      const worker = (await navigator.serviceWorker.ready).active;
      await new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = resolve;
        worker.postMessage({ keep: window.location.pathname }, [channel.port2]);
      });
    } else {
      await drafts.set("keepPlan", null);
      await caches.delete(drafts.PLANS);
    }
  });
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

function download(draft) {
  const blob = new Blob([draft.text], { type: "text/plain;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `views-${new Date(draft.savedAt).toISOString().slice(0, 10)}.txt`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function viewsForm() {
  const form = document.getElementById("views-form");
  const panel = document.getElementById("drafts");
  if (!form || !panel || !("indexedDB" in window)) return;
  const list = document.getElementById("drafts-list");
  const text = panel.dataset;
  const when = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
  const states = {
    saved: text.textSaved, waiting: text.textWaiting, sent: text.textSent,
    "sign-in": text.textSignIn, conflict: text.textConflict, rejected: text.textRejected,
  };

  async function render() {
    const day = 24 * 60 * 60 * 1000;
    for (const old of (await drafts.all()).filter((d) => d.status === "sent" && d.sentAt < Date.now() - day)) {
      await drafts.remove(old.id);
    }
    const mine = (await drafts.all())
      .filter((d) => d.user === user && d.url === form.action)
      .sort((a, b) => b.savedAt - a.savedAt);
    panel.hidden = mine.length === 0;
    list.replaceChildren(...mine.map((draft) => {
      const item = document.createElement("li");
      item.className = "app-draft";
      item.dataset.status = draft.status;
      const words = document.createElement("p");
      words.className = "govuk-body app-prewrap";
      words.textContent = draft.text;
      const meta = document.createElement("p");
      meta.className = "govuk-body-s";
      meta.textContent = fill(text.textWritten, { when: when.format(new Date(draft.savedAt)) });
      const state = document.createElement("p");
      state.className = "govuk-body app-draft__state";
      state.textContent = states[draft.status] + (draft.error ? ` ${draft.error}` : "");
      if (draft.status === "sign-in" || draft.status === "conflict") {
        const link = document.createElement("a");
        link.className = "govuk-link";
        link.href = draft.status === "sign-in" ? text.signInUrl : text.checkUrl;
        state.append(" ");
        link.textContent = draft.status === "sign-in" ? text.textSignInLink : text.textCheckLink;
        state.append(link);
      }
      const actions = document.createElement("div");
      actions.className = "govuk-button-group";
      const save = document.createElement("button");
      save.type = "button";
      save.className = "govuk-button govuk-button--secondary";
      save.textContent = text.textDownload;
      save.addEventListener("click", () => download(draft));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "govuk-button govuk-button--warning";
      remove.textContent = text.textDelete;
      remove.addEventListener("click", async () => {
        await drafts.remove(draft.id);
        drafts.changed();
        render();
      });
      actions.append(save, remove);
      item.append(words, meta, state, actions);
      return item;
    }));
    const next = mine.filter((d) => d.status === "waiting").map((d) => d.nextTry);
    if (next.length) setTimeout(() => drafts.sendAll(), Math.max(1000, Math.min(...next) - Date.now()));
  }

  form.addEventListener("submit", async (event) => {
    const words = form.elements.views.value;
    if (!words.trim()) return; // the server says what is wrong, next to the field
    event.preventDefault();
    await drafts.put({
      id: crypto.randomUUID(),
      user,
      url: form.action,
      base: Number(form.elements.base.value),
      text: words,
      savedAt: Date.now(),
      status: "saved",
    });
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    await render();
    await drafts.sendAll();
  });
  drafts.listen(render);
  window.addEventListener("online", () => drafts.sendAll(true));
  render();
}

async function start() {
  if (!drafts || !("indexedDB" in window)) return;
  signOutClearsEverything();
  offlineBanner();
  if (user) await forgetOtherPeople();
  if ("serviceWorker" in navigator && script) {
    navigator.serviceWorker.register(script.dataset.serviceWorker, { scope: "/" }).catch(() => {});
  }
  keepPlanChoice();
  viewsForm();
  if (user) drafts.sendAll(true);
}

start();
