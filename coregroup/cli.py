"""Command-line tools: `flask --app app demo | users create | export | import | check-text`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from coregroup import textpolicy
from coregroup.extensions import db
from coregroup.models import Case, User

users = AppGroup("users", help="Manage accounts.")


audit_cli = AppGroup("audit", help="The audit trail.")


@click.command("demo-code")
@click.argument("email")
def demo_code(email: str):
    """Print a demo professional's current sign-in code (development only)."""
    import pyotp

    from coregroup.auth import find_user
    from coregroup.demo import DEMO_DOMAIN

    if current_app.config["ENV_NAME"] == "production" or not email.endswith("@" + DEMO_DOMAIN):
        raise click.ClickException("Only for the demo accounts, and never in production.")
    user = find_user(email)
    if user is None or not user.totp_secret:
        raise click.ClickException(f"{email} has no second factor.")
    click.echo(pyotp.TOTP(user.totp_secret).now())


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), help="Where to write the backup.")
def backup_command(output: str | None):
    """Back up the database while the app runs (SQLite VACUUM INTO, or pg_dump)."""
    from coregroup import backup

    target = (
        Path(output) if output else backup.default_name(Path(current_app.instance_path) / "backups")
    )
    written = backup.backup(target)
    click.echo(f"Backup written to {written}.")


@click.command("due-items")
def due_items_command():
    """Rewrite every case's kept due items, tasks and next dates from its records (they are kept
    as each case is written; run this after changing profiles.yaml, or after a bulk load)."""
    import time

    from coregroup import dueitems

    started = time.monotonic()
    done = dueitems.rebuild()
    click.echo(f"Due items rewritten for {done} cases in {time.monotonic() - started:.1f} s.")


def register(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(due_items_command)
    app.cli.add_command(demo)
    app.cli.add_command(demo_code)
    app.cli.add_command(users)
    app.cli.add_command(export)
    app.cli.add_command(import_command)
    app.cli.add_command(check_text)
    app.cli.add_command(audit_cli)
    app.cli.add_command(people)
    app.cli.add_command(retention_command)
    app.cli.add_command(reminders_command)
    from coregroup.tokens import tokens_cli

    app.cli.add_command(tokens_cli)


people = AppGroup("people", help="People and what is held about them.")


@people.command("export")
@click.option("--email", required=True, help="The person's account email.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True))
def people_export(email: str, output: str | None):
    """Everything held about one person, as JSON (subject access)."""
    from coregroup import audit
    from coregroup.auth import find_user
    from coregroup.subject_access import subject_access

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    body = json.dumps(subject_access(user), ensure_ascii=False, indent=2) + "\n"
    audit.record("subject-access-export", f"cli user {user.id}", None)
    db.session.commit()
    if output:
        Path(output).write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)


@audit_cli.command("verify")
def audit_verify():
    """Check every audit chain from its start, and against the newest signed checkpoint."""
    from coregroup import audit, checkpoints

    verified = audit.verify_chains()
    count, broken, ends = verified.count, verified.broken, verified.ends
    problems = [
        f"Audit event {b.event_id} has been tampered with: {b.why}."
        if b.event_id is not None
        else f"The chain {b.chain} has been tampered with: {b.why}."
        for b in broken
    ]
    signed, unsigned = checkpoints.load()
    problems += unsigned
    if not signed and count and checkpoints.directory() is not None:
        problems.append(
            f"There is no signed checkpoint in {checkpoints.directory()}, though {count} events "
            "are recorded: the checkpoints were removed, or could never be written."
        )
    if signed:
        whole = {
            chain: end for chain, end in ends.items() if chain not in {b.chain for b in broken}
        }
        problems += checkpoints.check(signed[-1], whole, skip={b.chain for b in broken})
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{count} audit events checked in {len(ends)} chains: every chain is intact.")
    if verified.erased:
        click.echo(f"{verified.erased} of them had their content erased (retention).")
    if signed:
        covered = sum(length for length, _head in signed[-1].chains.values())
        click.echo(
            f"The newest signed checkpoint ({signed[-1].at}) covers {covered} of them; "
            f"{count - covered} written since are checked by their hashes only."
        )
    else:
        click.echo(
            "There is no signed checkpoint: a chain cut short or rebuilt would not be found."
        )


@audit_cli.command("checkpoint")
def audit_checkpoint():
    """Sign the end of every audit chain and write it to COREGROUP_AUDIT_CHECKPOINTS."""
    from coregroup import checkpoints

    path = checkpoints.write()
    db.session.rollback()
    click.echo(f"Checkpoint written: {path}")


@click.command("demo")
def demo():
    """Load the demo case (once) and write its sign-ins to instance/demo-credentials.txt."""
    from coregroup.demo import load_demo

    credentials = load_demo()
    path = Path(current_app.instance_path) / "demo-credentials.txt"
    if credentials is None:
        click.echo("The demo case is already loaded.")
    else:
        lines = [f"{email}  {password}" for email, password in credentials.items()]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        click.echo(f"Demo case loaded. Sign-ins written to {path}.")
    if path.exists():
        click.echo("Demo sign-ins (email, password):")
        click.echo(path.read_text().rstrip())
        click.echo(
            "Professionals also enter a code from an authenticator app. For the demo accounts,\n"
            "get the current code with:  .venv/bin/flask --app app demo-code EMAIL"
        )


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="An administrator, who manages accounts.")
@click.password_option(envvar="COREGROUP_NEW_PASSWORD")
def create_user(email: str, name: str, admin: bool, password: str):
    """Create an account that can sign in."""
    from coregroup.auth import find_user, hash_password, password_problem

    email, name = _typed("--email", email), _typed("--name", name)
    if find_user(email):
        raise click.ClickException(f"An account with the email {email} already exists.")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.ClickException(problem)
    db.session.add(
        User(
            email=email,
            name=name,
            is_admin=admin,
            professional=True,
            password_hash=hash_password(password),
        )
    )
    db.session.commit()
    click.echo(f"Created {email}.")


@click.command("export")
@click.option("--case", "case_id", type=int, required=True, help="The case's id.")
@click.option("--version", type=int, help="A plan version number (default: the latest).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
def export(case_id: int, version: int | None, output: str | None):
    """Write a case's plan as JSON that validates against the plan schema."""
    from coregroup.plans import services

    case = db.session.get(Case, case_id)
    if case is None:
        raise click.ClickException(f"There is no case {case_id}.")
    found = services.get_version(case, version) if version else services.latest_version(case)
    if found is None:
        raise click.ClickException("That case has no such plan version.")
    body = json.dumps(found.document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    schema = current_app.extensions["coregroup.schemas"]["child-protection-plan"]
    if not schema.is_valid(found.document):  # stored plans are validated before they are written
        raise click.ClickException(f"Plan version {found.number} does not fit the schema.")
    from coregroup import audit

    audit.record("export", f"cli export case {case_id} plan {found.number}", None, case_id)
    db.session.commit()
    if output:
        Path(output).write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)


def _typed(option: str, value: str) -> str:
    """A value given on the command line, held to the text policy like any form's answer."""
    reason = textpolicy.problem(value)
    if reason:
        raise click.BadParameter(textpolicy.message(reason), param_hint=option)
    return textpolicy.nfc(value.strip())


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "email", required=True, help="The importing professional's e-mail.")
def import_command(file, email: str):
    """Import a whole case from a case export (JSON), all or nothing, as the API does."""
    from coregroup import audit
    from coregroup.api import interchange
    from coregroup.auth import find_user

    user = find_user(_typed("--as", email))
    if user is None:
        raise click.ClickException(f"There is no account {email}.")
    try:
        data = textpolicy.loads(file.read())
    except textpolicy.BadText as bad:
        raise click.ClickException(
            f"{bad.pointer or '/'}: {textpolicy.message(bad.reason)}"
        ) from bad
    except textpolicy.RepeatedKey as repeated:
        raise click.ClickException(
            f"The key {repeated.key!r} is given twice in one object."
        ) from repeated
    except textpolicy.TooDeep as deep:
        raise click.ClickException(
            f"The JSON is nested more than {textpolicy.MAX_DEPTH} levels deep."
        ) from deep
    except ValueError as broken:
        raise click.ClickException(f"The file is not JSON: {broken}") from broken
    try:
        case = interchange.import_case(data, user)
    except interchange.ImportRefused as refused:
        db.session.rollback()
        for problem in refused.errors:
            click.echo(f"{problem['pointer'] or '/'}: {problem['message']}", err=True)
        raise click.ClickException("Nothing was imported.") from refused
    audit.record("import", f"cli import {case.reference}", user.id, case.id)
    db.session.commit()
    click.echo(f"Imported case {case.id} ({case.reference}).")


@click.command("check-text")
def check_text():
    """List stored rows holding text the text policy refuses (exit 1 if any).

    Such text is never rewritten (every version is kept as written); pages and exports show
    each bad character as U+FFFD. Written before the policy, or by a path that slipped past it."""
    found = list(stored_text_problems())
    for table, row_id, column, reason in found:
        click.echo(f"{table} {row_id} {column}: {reason}")
    if found:
        raise SystemExit(1)
    click.echo("No stored text breaks the text policy.")


def stored_text_problems():
    """(table, id, column, reason) for every stored value holding refused text, read as stored
    (bypassing the scrubbing every other read does)."""
    from sqlalchemy import JSON, Text, cast, select

    from coregroup.models import TypedText

    for table in db.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        for column in table.c:
            if isinstance(column.type, TypedText):
                raw = cast(column, Text)
                parse = None
            elif isinstance(column.type, JSON):
                raw = cast(column, Text)
                parse = json.loads
            else:
                continue
            rows = db.session.execute(select(table.c.id, raw).where(column.is_not(None)))
            for row_id, value in rows:
                reason = textpolicy.stored_problem(parse(value) if parse else value)
                if reason:
                    yield table.name, row_id, column.name, reason


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; change nothing.")
@click.option("--case", "reference", help="Only this case (by reference).")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to judge by (YYYY-MM-DD)."
)
def retention_command(dry_run: bool, reference: str | None, today: str | None):
    """Reduce the closed cases whose retention period has ended (cases on legal hold never).

    With --dry-run, list every closed case with what would happen to it and what would be
    deleted, and change nothing. Then run it again without --dry-run to do it."""
    import datetime as dt

    from sqlalchemy import select

    from coregroup import audit, retention
    from coregroup.models import Case

    day = today.date() if today else dt.date.today()
    if reference is not None:
        case = db.session.scalar(select(Case).where(Case.reference == reference))
        if case is None:
            raise click.ClickException(f"There is no case {reference}.")
        decisions = [retention.decide(case, day)]
        if case.reduced_on is not None:
            raise click.ClickException(f"{reference} was reduced on {case.reduced_on}.")
        if not case.is_closed:
            raise click.ClickException(f"{reference} is not closed: nothing was deleted.")
        if decisions[0].verdict != "reduce":
            raise click.ClickException(
                f"{reference} is {decisions[0].reason}. Nothing was deleted."
            )
    else:
        decisions = retention.review(day)
    due = [d for d in decisions if d.verdict == "reduce"]
    for found in decisions:
        verb = "would reduce" if dry_run else "reducing"
        line = f"{found.case.reference}: closed {found.case.closed_on}, {found.reason}"
        if found.verdict == "reduce":
            deleted = retention.counts(found.case)
            listed = ", ".join(f"{n} {what}" for what, n in deleted.items() if n)
            line += f" -> {verb}: {listed or 'nothing left to delete'}"
        click.echo(line)
    if dry_run:
        click.echo(f"Dry run: {len(due)} of {len(decisions)} closed cases would be reduced.")
        db.session.rollback()
        return
    for found in due:
        retention.reduce(found.case, day)
    audit.record("retention-run", f"{len(due)} cases reduced on {day.isoformat()}")
    db.session.commit()
    click.echo(f"{len(due)} of {len(decisions)} closed cases reduced.")


@click.command("reminders")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send nothing.")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to judge by (YYYY-MM-DD)."
)
def reminders_command(dry_run: bool, today):
    """E-mail the reminders due today, each once: members before an action of theirs is due
    and when it is overdue, every member before a core group meeting (with the latest plan),
    and the lead social worker before a meeting or a circulation falls due. Run it from cron
    (see the README); running it again sends nothing twice."""
    import datetime as dt

    from flask import current_app

    from coregroup import dueitems, reminders

    day = today.date() if today else dt.date.today()
    if not dry_run:
        dueitems.rewrite_where_membership_turned(day)
    base = current_app.config["COREGROUP_BASE_URL"]
    with current_app.test_request_context(base_url=base):  # for the links in the e-mails
        if dry_run:
            for due in reminders.due(day):
                if not reminders.sent_already(due):
                    click.echo(f"{due.case.reference}: {due.kind} to member {due.member.id}")
            db.session.rollback()
            return
        result = reminders.run(day)
    for due in result.sent:
        click.echo(f"{due.case.reference}: sent {due.kind} to member {due.member.id}")
    for due, problem in result.failed:
        click.echo(
            f"{due.case.reference}: NOT sent {due.kind} to member {due.member.id}: {problem}"
        )
    click.echo(f"{len(result.sent)} sent.")
    if result.failed:
        click.echo(f"{len(result.failed)} not sent: they are tried again on the next run.")
    if result.failed:
        raise SystemExit(1)
