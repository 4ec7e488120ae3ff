// Progressive enhancement only: every page works without this file.
import { initAll } from "govuk-frontend"; // resolved by the page's import map

initAll();

// GOV.UK Frontend marks a radio or checkbox that reveals more questions with aria-expanded,
// which ARIA does not allow on those roles (axe: aria-allowed-attr). The reveal stays tied to
// its input by aria-controls; the attribute is taken off again whenever it is put on.
const notAllowed = ".govuk-radios__input[aria-expanded], .govuk-checkboxes__input[aria-expanded]";
function tidy() {
  for (const input of document.querySelectorAll(notAllowed)) input.removeAttribute("aria-expanded");
}
tidy();
new MutationObserver(tidy).observe(document.body, {
  subtree: true,
  attributes: true,
  attributeFilter: ["aria-expanded"],
});
