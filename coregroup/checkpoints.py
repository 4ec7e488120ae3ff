"""Signed checkpoints of the audit chains, kept outside the database.

Like Certificate Transparency's signed tree heads: now and then the end of every audit chain
(its length and last hash, `audit.heads()`) is signed with an Ed25519 key that the database
never holds, and written as a file to a directory outside it. Whoever can rewrite the database
cannot sign, so `flask audit verify` finds a chain that was cut short, or rebuilt from its start
with new hashes, up to the newest checkpoint. Events written after it are checked only for
being whole (their hashes), not against a signature.

A checkpoint is written by a request that recorded something when the newest is older than
COREGROUP_AUDIT_CHECKPOINT_SECONDS (so at least that often while anything happens; a quiet
service adds no events for a checkpoint to miss), by `flask audit checkpoint` (a timer, and when
the service stops: gunicorn.conf.py), never by a background thread.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import select

from coregroup import audit
from coregroup.extensions import db
from coregroup.models import AuditEvent

log = logging.getLogger(__name__)
NEWEST = "newest"  # touched at every checkpoint: one stat tells a request whether one is due


def directory() -> Path | None:
    found = current_app.config.get("COREGROUP_AUDIT_CHECKPOINTS")
    return Path(found) if found else None


def signing_key() -> Ed25519PrivateKey:
    """The key in COREGROUP_AUDIT_KEY_FILE; outside production, made there if it is missing."""
    path = Path(current_app.config["COREGROUP_AUDIT_KEY_FILE"])
    if not path.exists() and current_app.config["ENV_NAME"] != "production":
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 private key")
    return key


def verifying_key() -> Ed25519PublicKey:
    """COREGROUP_AUDIT_VERIFY_KEY_FILE (a public key: a host that only checks needs no more),
    else the public half of the signing key."""
    path = current_app.config.get("COREGROUP_AUDIT_VERIFY_KEY_FILE")
    if path:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise RuntimeError(f"{path} is not an Ed25519 public key")
        return key
    return signing_key().public_key()


def _payload(statement: dict) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


def write() -> Path:
    """Sign the end of every chain as the database holds it now, and write it to the directory."""
    folder = directory()
    if folder is None:
        raise RuntimeError("COREGROUP_AUDIT_CHECKPOINTS names no directory")
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    statement = {
        "at": now.isoformat(timespec="microseconds"),
        "host": socket.gethostname(),
        "chains": {name: [length, head] for name, (length, head) in sorted(audit.heads().items())},
    }
    signature = signing_key().sign(_payload(statement))
    name = f"{now:%Y%m%dT%H%M%S%f}-{statement['host']}-{os.getpid()}.json"
    partial = folder / f".{name}.partial"
    partial.write_text(
        json.dumps({"statement": statement, "signature": base64.b64encode(signature).decode()})
    )
    os.replace(partial, folder / name)  # whole or not at all
    (folder / NEWEST).touch()
    return folder / name


def due() -> bool:
    folder = directory()
    if folder is None:
        return False
    try:
        newest = (folder / NEWEST).stat().st_mtime
    except FileNotFoundError:
        return True
    return time.time() - newest >= current_app.config["COREGROUP_AUDIT_CHECKPOINT_SECONDS"]


def write_if_due() -> None:
    """After a request that recorded something: a checkpoint if the newest is old enough. A
    failure is logged, never the request's: its work has committed already."""
    if not current_app.config["COREGROUP_AUDIT_CHECKPOINT_BY_REQUESTS"] or not due():
        return
    try:
        write()
    except Exception:  # e.g. the shared directory is not mounted: say so loudly, keep serving
        log.exception("audit checkpoint not written")
    finally:
        db.session.rollback()  # end the read of the chains' ends


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    at: str
    chains: dict[str, list]


def load() -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint whose signature holds, oldest first, and a line for each that does not."""
    folder = directory()
    if folder is None or not folder.exists():
        return [], []
    key = verifying_key()
    good, bad = [], []
    for path in sorted(folder.glob("*.json")):
        if not path.is_file():
            bad.append(f"{path.name} in the checkpoint directory is not a checkpoint.")
            continue
        try:
            found = json.loads(path.read_text())
            statement = found["statement"]
            key.verify(base64.b64decode(found["signature"]), _payload(statement))
            good.append(Checkpoint(path, statement["at"], statement["chains"]))
        except (ValueError, KeyError, TypeError, InvalidSignature, OSError):
            bad.append(f"Checkpoint {path.name} is not signed by the audit key.")
    good.sort(key=lambda c: c.at)
    return good, bad


def check(newest: Checkpoint, ends: dict[str, tuple[int, str]], skip=frozenset()) -> list[str]:
    """What in the database disagrees with a signed checkpoint: a chain now shorter than it
    was (events removed), or whose event at the signed place has another hash (rebuilt)."""
    problems = []
    for chain, (length, head) in newest.chains.items():
        if chain in skip:  # broken already, and said so
            continue
        now_length = ends.get(chain, (0, audit.GENESIS))[0]
        if now_length < length:
            problems.append(
                f"The chain {chain} has {now_length} events, but had {length} at the checkpoint "
                f"of {newest.at}: events were removed."
            )
            continue
        signed = db.session.scalar(
            select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == length)
        )
        if signed != head:
            problems.append(
                f"The chain {chain} is not the one signed at {newest.at}: its event {length} "
                "has another hash, so the chain was rebuilt."
            )
    return problems
