// Warn before an idle session ends, and keep it alive if the person asks.
// Without JavaScript nothing is lost either: what was typed is kept and offered again
// after signing in (coregroup/resume.py).
const idleSeconds = Number(document.body.dataset.idleSeconds || 0);
const warning = document.getElementById("idle-warning");
const stay = document.getElementById("stay-signed-in");
const token = document.querySelector("meta[name=csrf-token]")?.content;
let timer;

function arm() {
  clearTimeout(timer);
  if (warning) warning.hidden = true;
  if (idleSeconds > 150) {
    timer = setTimeout(() => {
      warning.hidden = false;
      stay.focus();
    }, (idleSeconds - 120) * 1000);
  }
}

if (warning && stay && idleSeconds) {
  stay.addEventListener("click", async () => {
    const response = await fetch("/session/keep-alive", {
      method: "POST",
      headers: { "X-CSRFToken": token },
      credentials: "same-origin",
    });
    if (response.ok) arm();
  });
  arm();
}
