"""Web fonts for the scripts a phone may not have: Bengali, Gurmukhi, Urdu (Nastaliq), Arabic.

A page in one of those languages loads one stylesheet (`fonts/<lang>.css`) naming that script's
font, regular and bold, subset to the script by Fontsource (the Noto families on npm) and served
from here: nothing is fetched from another site. Every other page loads no script font. The
language switcher names each language in its own script on every page, so `app.css` carries a
tiny font ("App Names") subset to just those names' letters (fontTools), a few KB in all.

`build(out)` runs at asset build time (`python -m coregroup.assets`): it needs node_modules and
fontTools, never the running app. The app only reads `STYLESHEETS` to know which languages have
a stylesheet.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from babel import Locale

ROOT = Path(__file__).resolve().parent.parent
FONTSOURCE = ROOT / "node_modules" / "@fontsource"
# The family every GOV.UK style names first (assets/scss/app.scss): defined only on the pages
# of a language below, and limited to its script's letters, so Latin text keeps the system font.
SCRIPT_FAMILY = "App Script"
NAMES_FAMILY = "App Names"
WEIGHTS = (400, 700)


# language: (Fontsource package, its subset for the script, the line height the script needs)
SCRIPTS = {
    "bn": ("noto-sans-bengali", "bengali", None),
    "pa": ("noto-sans-gurmukhi", "gurmukhi", None),
    # Nastaliq's letters climb and descend far more than Naskh's: GOV.UK's 1.25 would overlap.
    "ur": ("noto-nastaliq-urdu", "arabic", 2.1),
    "ar": ("noto-naskh-arabic", "arabic", None),
}
STYLESHEETS = {code: f"dist/fonts/{code}.css" for code in SCRIPTS}


def _face(family: str, weight: int, url: str, unicode_range: str) -> str:
    return (
        f"@font-face{{font-family:'{family}';font-style:normal;font-weight:{weight};"
        f"font-display:swap;src:url({url}) format('woff2');unicode-range:{unicode_range}}}\n"
    )


def _unicode_range(package: str, subset: str, weight: int) -> str:
    """The unicode-range Fontsource gives this subset, read from its own stylesheet."""
    css = (FONTSOURCE / package / f"{weight}.css").read_text()
    block = css.split(f"/* {package}-{subset}-{weight}-normal */", 1)[1]
    return block.split("unicode-range:", 1)[1].split(";", 1)[0].strip()


def _source(package: str, subset: str, weight: int) -> Path:
    return FONTSOURCE / package / "files" / f"{package}-{subset}-{weight}-normal.woff2"


def script_stylesheet(code: str, font_urls: dict[int, str]) -> str:
    package, subset, line_height = SCRIPTS[code]
    css = "".join(
        _face(SCRIPT_FAMILY, weight, font_urls[weight], _unicode_range(package, subset, weight))
        for weight in WEIGHTS
    )
    if line_height:
        # Every block of text, whichever GOV.UK class set its line height.
        css += f"html[lang={code}] :is(main,header,footer) *{{line-height:{line_height}}}\n"
    return css


def own_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


def names_subset(code: str) -> bytes:
    """The regular face of `code`'s script font cut down to the letters of its own name."""
    from fontTools import subset

    package, script, _ = SCRIPTS[code]
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # keep the shaping (conjuncts, joining forms)
    options.name_IDs = ["*"]
    font = subset.load_font(str(_source(package, script, 400)), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=own_name(code))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def names_stylesheet(font_urls: dict[str, str], script_urls: dict[str, dict[int, str]]) -> str:
    """@font-face rules for every page (they are part of app.css):

    - the switcher's: one family per language, limited to its name's letters, so each name is
      drawn by its own script's font (Urdu's in Nastaliq), a few KB in all;
    - words marked as in one of these languages on a page in another (a translation of the
      plan's words, a language to choose from): that script's whole font, fetched by the browser
      only when such words are on the page."""
    css = ""
    for code, url in font_urls.items():
        letters = sorted({ord(c) for c in own_name(code) if not c.isspace()})
        unicode_range = ",".join(f"U+{point:04X}" for point in letters)
        css += _face(f"{NAMES_FAMILY} {code}", 400, url, unicode_range)
        package, subset, line_height = SCRIPTS[code]
        for weight in WEIGHTS:
            css += _face(
                f"{SCRIPT_FAMILY} {code}",
                weight,
                script_urls[code][weight],
                _unicode_range(package, subset, weight),
            )
        css += (
            f"[lang={code}]:not(html){{font-family:'{SCRIPT_FAMILY} {code}',system-ui,sans-serif"
            + (f";line-height:{line_height}" if line_height else "")
            + "}\n"
        )
        css += (
            f".app-languages [lang={code}]{{font-family:'{NAMES_FAMILY} {code}','{SCRIPT_FAMILY}',"
            "system-ui,sans-serif}\n"
        )
    return css


def build(out: Path) -> dict[str, Path]:
    """Write the script fonts, their stylesheets and the switcher's subsets under `out`; the
    files by the name templates use (relative to static/), for fingerprinting."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    written = {}
    for code, (package, subset, _) in SCRIPTS.items():
        for weight in WEIGHTS:
            source = _source(package, subset, weight)
            shutil.copyfile(source, out / source.name)
            written[f"dist/fonts/{source.name}"] = out / source.name
        names = out / f"names-{code}.woff2"
        names.write_bytes(names_subset(code))
        written[f"dist/fonts/{names.name}"] = names
    return written
