// Keep the "who else is here" panel and the "newer version" notice up to date, by polling.
// A poll whose answer has not changed gets 304 Not Modified and costs next to nothing: once a
// second while the page is visible (a change shows within about a second), none while it is
// hidden, and at once when it is shown again. Errors back off to once a minute.
const panel = document.getElementById("live");

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

if (panel) {
  const others = document.getElementById("live-others");
  const newer = document.getElementById("live-newer");
  const seenVersion = Number(panel.dataset.version);
  const EVERY = 1000;
  let etag = null;
  let delay = EVERY;
  let timer = null;
  let polling = false;

  async function refreshPage() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return false;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const main = fresh.getElementById("main-content");
    if (main) {
      document.getElementById("main-content").replaceWith(main);
      // The new page has its own panel: start watching from its version.
      window.setTimeout(() => import(`${import.meta.url}?v=${Date.now()}`), 0);
      return true;
    }
    return false;
  }

  async function poll() {
    clearTimeout(timer);
    if (polling) return;
    polling = true;
    if (!document.hidden) {
      try {
        const headers = etag ? { "If-None-Match": etag } : {};
        const response = await fetch(panel.dataset.url, { headers, credentials: "same-origin" });
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          const state = await response.json();
          others.replaceChildren(...state.others.map((o) => {
            const item = document.createElement("li");
            item.textContent = o.sectionTitle
              ? fill(panel.dataset.textEditing, { name: o.name, role: o.role, section: o.sectionTitle })
              : fill(panel.dataset.textViewing, { name: o.name, role: o.role });
            return item;
          }));
          if (state.version > seenVersion) {
            // A page with nothing being typed shows the new plan itself (its new panel watches
            // from there on); one being typed on says a newer version is saved.
            if (panel.dataset.refresh === "page" && (await refreshPage())) {
              document.removeEventListener("visibilitychange", shown);
              return;
            }
            newer.textContent = fill(panel.dataset.textNewer, { name: state.savedBy || "" });
            newer.hidden = false;
          }
          delay = EVERY;
        } else if (response.status !== 304) {
          delay = Math.min(delay * 2, 60000);
        }
      } catch {
        delay = Math.min(delay * 2, 60000); // offline or the server is busy: back off
      }
    }
    polling = false;
    if (!document.hidden) timer = setTimeout(poll, delay);
  }
  function shown() {
    if (!document.hidden) poll();
  }
  document.addEventListener("visibilitychange", shown);
  timer = setTimeout(poll, delay);
}
