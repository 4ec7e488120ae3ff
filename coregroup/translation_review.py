"""A qualified translator's review of a language: export, import, and what counts as reviewed.

`export` writes a language's catalog as a PO file (what translators' tools read) with, beside
each string, where it appears and the English before and after it there: a string alone
("Open") is often ambiguous. `import_reviewed` brings the reviewed file back, refusing any
translation Babel's checkers fault, and records each accepted string as reviewed.

The record is a sidecar, translations/<lang>/reviewed.json, not a flag in the catalog: `pybabel
update` drops flags it does not know, and `fuzzy` would drop the string from the compiled
catalog. It holds a hash of the English and of the translation as reviewed, so a string whose
English changes, or whose translation someone changes afterwards, is unreviewed again on its
own: nobody has to remember to clear it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import click
from babel import Locale
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import DEFAULT_KEYWORDS, parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from flask import current_app
from flask.cli import with_appcontext

from coregroup.i18n import TRANSLATIONS

PROJECT = TRANSLATIONS.parent
KEYWORDS = ("_l", "lazy_gettext")  # as `make translations` passes them to pybabel extract
# Placeholders that stand for the count choosing a plural form: a language may leave the number
# out of a form ("one week" for 1); every other placeholder must stay (tests/test_translations).
COUNTS = frozenset({"num", "count", "days", "weeks", "months", "total", "n"})
# Where a string appears, as the translator would recognise it.
KINDS = (("templates/", "Page"), ("schemas/", "Schema"), ("forms/", "Form"))
LANG_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
NEIGHBOUR_CHARS = 120
MAX_PLACES = 3

HEADER = """\
# {name} ({lang}) strings of Core Group, for a qualified translator to review.
#
# Above each string: where it appears (Page, Form, Schema or Code), the
# English before and after it there, and whether it has been reviewed.
# Strings not yet reviewed come first.
#
# Correct each translation in place; leave the English (msgid) as it is and
# keep every placeholder such as %(name)s exactly as in the English. Leave a
# string you could not check marked "fuzzy" (Needs work): it is not marked
# reviewed. Send the whole file back; it is imported with
#   make translations-import LANG={lang} FILE=<this file>
#     REVIEWER="<your name>, <your qualification>"
# and each accepted string is recorded as reviewed by you."""


@dataclass(frozen=True)
class Source:
    """One place a string is extracted from: a file, a line, the English and its context."""

    path: str
    line: int
    msgid: str
    context: str | None


@dataclass
class Report:
    """What an import did: accepted strings, refused ones (with why) and skipped ones."""

    imported: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    reviewed: int = 0
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.refused

    def lines(self) -> list[str]:
        out = [f"Imported and marked reviewed: {len(self.imported)} ({len(self.changed)} changed)"]
        for title, rows in (("Refused, not imported", self.refused), ("Skipped", self.skipped)):
            if rows:
                out.append(f"{title}: {len(rows)}")
                out.extend(f"  {_short(msgid)!r}: {why}" for msgid, why in rows)
        share = self.reviewed / self.total if self.total else 0.0
        out.append(f"Reviewed now: {self.reviewed} of {self.total} ({share:.0%})")
        return out


# --- The catalog and the record ----------------------------------------------------------------


def catalog_path(lang: str, root: Path = TRANSLATIONS) -> Path:
    """The language's messages.po; a code that is not a catalog here is refused, not created."""
    path = root / lang / "LC_MESSAGES" / "messages.po"
    if not LANG_CODE.match(lang) or not path.exists():
        raise ValueError(f"No catalog for {lang!r} in {root}")
    return path


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def save(catalog: Catalog, path: Path) -> None:
    """Write as `pybabel update` does (default width, its order), so only changed strings diff.

    Through a temporary file and a rename: a half-written catalog would break every page."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76)
    _replace(path, buffer.getvalue())


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def record_path(lang: str, root: Path = TRANSLATIONS) -> Path:
    return root / lang / "reviewed.json"


def load_record(lang: str, root: Path = TRANSLATIONS) -> dict:
    path = record_path(lang, root)
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def save_record(lang: str, record: dict, root: Path = TRANSLATIONS) -> None:
    """Sorted, one field a line: a review shows in a diff as the strings it touched."""
    text = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    _replace(record_path(lang, root), text.encode("utf-8"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (list, tuple)) else (string or "",)


def key(message: Message) -> str:
    """The gettext key, hashed: msgctxt\\x04msgid, or the msgid alone without a context."""
    msgid = _ids(message)[0]
    return _sha(f"{message.context}\x04{msgid}" if message.context else msgid)


def english_hash(message: Message) -> str:
    """Context, singular and plural: a change to any of them is new English to review."""
    return _sha(f"{message.context or ''}\x04" + "\x00".join(_ids(message)))


def translation_hash(message: Message) -> str:
    return _sha("\x00".join(_strings(message)))


def _translated(message: Message) -> bool:
    return all(_strings(message))


def is_reviewed(message: Message, record: dict) -> bool:
    """Reviewed while the English and the translation are still those the translator saw."""
    entry = record.get(key(message))
    return bool(
        entry
        and entry.get("english") == english_hash(message)
        and entry.get("translation") == translation_hash(message)
        and _translated(message)
        and not message.fuzzy
    )


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def review_counts(lang: str, root: Path = TRANSLATIONS) -> tuple[int, int]:
    """(strings reviewed, strings in the catalog); English is the source, so all of it."""
    if lang == "en_GB":
        total = len(_messages(load(root / "messages.pot")))
        return total, total
    messages = _messages(load(catalog_path(lang, root)))
    record = load_record(lang, root)
    return sum(is_reviewed(m, record) for m in messages), len(messages)


def review_share(lang: str, root: Path = TRANSLATIONS) -> float:
    """The share of the language's strings a qualified translator has reviewed, 0.0 to 1.0."""
    reviewed, total = review_counts(lang, root)
    return reviewed / total if total else 0.0


# --- Where each string appears -----------------------------------------------------------------


def extract_sources(project: Path = PROJECT) -> list[Source]:
    """Every string with its file and line, extracted as `make translations` does but keeping
    the locations (the catalogs are written without them, to keep their diffs small)."""
    with (project / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(list(KEYWORDS)))
    found = extract_from_dir(project, method_map, options_map, keywords=keywords)
    return [
        Source(
            Path(filename).as_posix(),
            lineno,
            message[0] if isinstance(message, tuple) else message,
            context,
        )
        for filename, lineno, message, _comments, context in found
    ]


def _kind(path: str) -> str:
    if path.endswith(".py"):
        return "Code"
    return next((kind for prefix, kind in KINDS if path.startswith(prefix)), "Data")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NEIGHBOUR_CHARS else text[: NEIGHBOUR_CHARS - 1] + "…"


def _neighbours(place: Source, by_file: dict[str, list[Source]]) -> tuple[str | None, str | None]:
    """The nearest different English before and after the string in its file, by line."""
    rows = by_file[place.path]
    index = rows.index(place)
    before = next((s.msgid for s in reversed(rows[:index]) if s.msgid != place.msgid), None)
    after = next((s.msgid for s in rows[index + 1 :] if s.msgid != place.msgid), None)
    return before, after


def context_comments(message: Message, places: list[Source], by_file: dict) -> list[str]:
    """Where the string appears and the English around its first place, for a `#.` comment."""
    if not places:
        return ["Where: not found in the source (kept for an older version)"]
    comments = [f"{_kind(p.path)}: {p.path}" for p in places[:MAX_PLACES]]
    if len(places) > MAX_PLACES:
        comments.append(f"… and {len(places) - MAX_PLACES} more places")
    before, after = _neighbours(places[0], by_file)
    comments.append(f"English before: {_short(before)}" if before else "English before: (none)")
    comments.append(f"English after: {_short(after)}" if after else "English after: (none)")
    return comments


def _index(sources: list[Source]) -> tuple[dict, dict]:
    """Places by (msgid, context), and each file's strings in line order."""
    places: dict[tuple[str, str | None], list[Source]] = {}
    by_file: dict[str, list[Source]] = {}
    for source in sources:
        places.setdefault((source.msgid, source.context), []).append(source)
        by_file.setdefault(source.path, []).append(source)
    for rows in by_file.values():
        rows.sort(key=lambda s: s.line)  # stable: extraction order where lines tie
    return places, by_file


# --- Export ------------------------------------------------------------------------------------


def _reviewed_comment(message: Message, record: dict) -> str:
    if not is_reviewed(message, record):
        return "Reviewed: no"
    entry = record[key(message)]
    return f"Reviewed: yes, by {entry['by']} on {entry['on']}"


def export(
    lang: str,
    root: Path = TRANSLATIONS,
    project: Path = PROJECT,
    sources: list[Source] | None = None,
) -> bytes:
    """The language's catalog as a PO file for review, strings not yet reviewed first."""
    catalog = load(catalog_path(lang, root))
    record = load_record(lang, root)
    places, by_file = _index(extract_sources(project) if sources is None else sources)
    out = Catalog(locale=catalog.locale, fuzzy=False)
    out.mime_headers = catalog.mime_headers
    out.header_comment = HEADER.format(name=Locale.parse(lang).english_name, lang=lang)
    messages = sorted(_messages(catalog), key=lambda m: is_reviewed(m, record))
    for message in messages:
        found = places.get((_ids(message)[0], message.context), [])
        comments = context_comments(message, found, by_file)
        out[message.id] = Message(
            message.id,
            message.string,
            locations=[(p.path, p.line) for p in found],
            flags=message.flags,
            auto_comments=[*comments, _reviewed_comment(message, record)],
            user_comments=message.user_comments,
            context=message.context,
        )
    buffer = io.BytesIO()
    write_po(buffer, out, width=76, include_lineno=False)
    return buffer.getvalue()


# --- Import ------------------------------------------------------------------------------------


def _names(text: str) -> set[str]:
    return {match.group(1) for match in PYTHON_FORMAT.finditer(text) if match.group(1)}


def _missing_placeholders(message: Message) -> list[str]:
    """Named placeholders of the English a translation left out: Babel only checks for extra
    ones, yet a dropped %(name)s silently loses the name from the page."""
    if "python-format" not in message.flags:
        return []
    english = set().union(*(_names(text) for text in _ids(message)))
    allowed = COUNTS if message.pluralizable else frozenset()
    missing = set()
    for string in _strings(message):
        missing |= english - _names(string) - allowed
    return sorted(missing)


def problems(message: Message, catalog: Catalog) -> list[str]:
    """Why a translation may not go in: Babel's checkers (placeholders, plural forms) and any
    English placeholder it dropped."""
    found = [str(error) for error in message.check(catalog)]
    found += [f"placeholder %({name})s is missing" for name in _missing_placeholders(message)]
    return found


def _read_returned(returned: Path | bytes | str) -> Catalog:
    data = returned if isinstance(returned, bytes) else Path(returned).read_bytes()
    return read_po(io.BytesIO(data), ignore_obsolete=True)


def _check_language(lang: str, returned: Catalog) -> None:
    """A Polish file imported as Welsh would overwrite every Welsh string: refuse it whole."""
    if returned.locale and returned.locale.language != Locale.parse(lang).language:
        raise ValueError(f"The file is for {returned.locale}, not {lang}")


def _judge(message: Message, current: Message | None, catalog: Catalog) -> tuple[str, str]:
    """("import" | "refuse" | "skip", why) for one string of the returned file."""
    if current is None or _ids(current) != _ids(message):
        return "refuse", "English changed or removed, not imported"
    if not any(_strings(message)):
        return "skip", "no translation given"
    if message.fuzzy:
        return "skip", "marked fuzzy (needs work) by the translator: not reviewed"
    if not _translated(message):
        return "refuse", "a plural form is empty"
    candidate = Message(
        current.id, message.string, flags=current.flags - {"fuzzy"}, context=current.context
    )
    reasons = problems(candidate, catalog)
    return ("refuse", "; ".join(reasons)) if reasons else ("import", "")


def import_reviewed(
    lang: str,
    returned: Path | bytes | str,
    reviewer: str,
    root: Path = TRANSLATIONS,
    today: dt.date | None = None,
) -> Report:
    """Write the reviewed translations into the catalog and record each as reviewed by
    `reviewer`; anything the checks refuse is left as it was and listed in the report."""
    if not reviewer.strip():
        raise ValueError("Name the reviewer (and their qualification)")
    path = catalog_path(lang, root)
    catalog, record = load(path), load_record(lang, root)
    incoming = _read_returned(returned)
    _check_language(lang, incoming)
    report = Report()
    on = (today or dt.date.today()).isoformat()
    for message in _messages(incoming):
        current = catalog.get(_ids(message)[0], message.context)
        verdict, why = _judge(message, current, catalog)
        msgid = _ids(message)[0]
        if verdict == "refuse":
            report.refused.append((msgid, why))
        elif verdict == "skip":
            report.skipped.append((msgid, why))
        else:
            _accept(current, message, record, reviewer.strip(), on, report)
    if report.changed:
        save(catalog, path)
    _prune(record, catalog)
    save_record(lang, record, root)
    report.reviewed, report.total = review_counts(lang, root)
    return report


def _accept(
    current: Message, message: Message, record: dict, by: str, on: str, report: Report
) -> None:
    msgid = _ids(current)[0]
    if _strings(current) != _strings(message) or current.fuzzy:
        current.string = message.string
        current.flags.discard("fuzzy")  # the translator checked it: it may be compiled now
        report.changed.append(msgid)
    record[key(current)] = {
        "english": english_hash(current),
        "translation": translation_hash(current),
        "by": by,
        "on": on,
    }
    report.imported.append(msgid)


def _prune(record: dict, catalog: Catalog) -> None:
    """Forget reviews of English no longer in the catalog: they can never match again."""
    live = {key(m) for m in _messages(catalog)}
    for stale in set(record) - live:
        del record[stale]


# --- Commands ----------------------------------------------------------------------------------


def _root() -> Path:
    """The translations directory; COREGROUP_TRANSLATIONS lets a test use a copy."""
    return Path(current_app.config.get("COREGROUP_TRANSLATIONS", TRANSLATIONS))


def _languages(root: Path) -> list[str]:
    return sorted(p.parts[-3] for p in root.glob("*/LC_MESSAGES/messages.po"))


@click.command("translations-export")
@click.argument("langs", nargs=-1, metavar="[LANG]...")
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write (one LANG only).")
@with_appcontext
def export_command(langs: tuple[str, ...], out: str | None):
    """Write each language's strings, with where they appear, for a translator to review."""
    root = _root()
    langs = langs or tuple(_languages(root))
    if out and len(langs) != 1:
        raise click.UsageError("--out needs exactly one LANG.")
    sources = extract_sources(PROJECT)
    folder = Path(current_app.instance_path) / "translation-review"
    for lang in langs:
        try:
            data = export(lang, root, PROJECT, sources)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        target = Path(out) if out else folder / f"{lang}-for-review.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        reviewed, total = review_counts(lang, root)
        click.echo(f"{lang}: {target} ({total} strings, {reviewed} reviewed)")


@click.command("translations-import")
@click.argument("lang")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--reviewer", required=True, help='Who reviewed it: "Name, qualification".')
@with_appcontext
def import_command(lang: str, file: str, reviewer: str):
    """Bring a reviewed file back: accepted strings are written and marked reviewed."""
    try:
        report = import_reviewed(lang, Path(file), reviewer, _root())
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise click.exceptions.Exit(1)


def register_cli(app) -> None:
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
