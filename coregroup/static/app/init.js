// Progressive enhancement only: every page works without this file.
import { initAll } from "govuk-frontend"; // resolved by the page's import map

initAll();
