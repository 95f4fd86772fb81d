"""Backup and restore of the SQLite database (online backup API), each copy verified; PostgreSQL is refused.

A backup is a consistent copy taken while the app may be running (SQLite's online backup API), stored as
one self-contained file (rollback journal, not WAL), checked with PRAGMA integrity_check and the audit
chain, with a SHA-256 beside it. A restore refuses files that are not an Arrears database or whose schema
revision is newer than this code, keeps the current database as *.before-restore, copies the backup in
through the same API, upgrades an older schema and verifies the result. PostgreSQL: docs/operations.md.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from arrears import migrate
from arrears.core.access import Principal, Role
from arrears.core.errors import ConfigError, Conflict, Forbidden, InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.users import audit, audit_store

POSTGRES_DOC = "docs/operations.md"
SQLITE_MAGIC = b"SQLite format 3\x00"
ARREARS_TABLES = frozenset({"alembic_version", "audit_log", "debtors", "accounts", "users"})


@dataclass(frozen=True, slots=True)
class Checked:
    """What verifying one SQLite file found."""

    path: Path
    size: int
    sha256: str
    integrity: str
    revision: str | None
    audit_checked: int
    audit_breaks: tuple[audit.ChainBreak, ...]
    audit_head: str | None = None  # "seq:hash" of the newest record: an anchor for `arrears audit verify`

    @property
    def chain_intact(self) -> bool:
        """True when the audit chain in the file has no break."""
        return not self.audit_breaks


@dataclass(frozen=True, slots=True)
class Restored:
    """The outcome of a restore."""

    database: Path
    source: Checked
    previous_saved_as: Path | None
    upgraded_from: str | None
    result: Checked


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMINISTRATOR:
        who = f"{principal.username} ({principal.role.value})"
        raise Forbidden(f"{who} may not back up or restore the database")


def sqlite_path(settings: Settings) -> Path:
    """The SQLite database file of the settings; a clear refusal for PostgreSQL or an in-memory database."""
    url = settings.effective_database_url
    if not url.startswith("sqlite"):
        raise ConfigError(
            "arrears backup works on SQLite only; back up PostgreSQL with pg_dump -Fc and restore it with "
            f"pg_restore as described in {POSTGRES_DOC} (then run `arrears audit verify`)"
        )
    raw = url.split("///", 1)[1] if "///" in url else ""
    if not raw or ":memory:" in raw:
        raise ConfigError("an in-memory SQLite database cannot be backed up")
    return Path(raw.split("?", 1)[0])


def default_target(rt: Runtime) -> Path:
    """var/backups/arrears-YYYYMMDD-HHMMSS.db at the clock's current moment (UTC)."""
    return rt.settings.var_dir / "backups" / f"arrears-{rt.clock.now():%Y%m%d-%H%M%S}.db"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def check_file(path: Path, *, read_only: bool = True) -> Checked:
    """Integrity, schema revision and audit chain of an SQLite file that should be an Arrears database."""
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    if not _is_sqlite(path):
        raise ConfigError(f"{path}: not an SQLite database file, so not an Arrears backup")
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        try:
            integrity = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall())
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{path}: unreadable SQLite database ({exc})") from None
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        with engine.connect() as conn:
            missing = ARREARS_TABLES - set(inspect(conn).get_table_names())
            if missing:
                names = ", ".join(sorted(missing))
                raise ConfigError(f"{path}: not an Arrears database (missing tables: {names})")
            revision = conn.exec_driver_sql("select version_num from alembic_version").scalar()
            checked, breaks = audit.verify(conn)
            top = audit_store.head(conn)
    finally:
        engine.dispose()
    return Checked(path=path, size=path.stat().st_size, sha256=_sha256(path), integrity=integrity,
                   revision=revision, audit_checked=checked, audit_breaks=tuple(breaks),
                   audit_head=f"{top[0]}:{top[1]}" if top else None)


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while others write to the source."""
    with closing(sqlite3.connect(source, timeout=30)) as src:
        with closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)


def create_backup(rt: Runtime, principal: Principal, target: Path | None = None) -> Checked:
    """Copy the configured SQLite database to target (default var/backups/...) and verify the copy."""
    _require_admin(principal)
    source = sqlite_path(rt.settings)
    if not source.is_file():
        raise NotFound(f"no database at {source}: nothing to back up (run `arrears init` first)")
    target = target or default_target(rt)
    if target.is_dir():
        target = target / default_target(rt).name
    if target.exists():
        raise Conflict(f"{target} exists already; choose another path")
    if target.resolve() == source.resolve():
        raise InputRejected(f"{target} is the live database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial)
        with closing(sqlite3.connect(partial)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        checked = check_file(partial)
        if checked.integrity != "ok":
            raise ConfigError(f"the copy failed PRAGMA integrity_check: {checked.integrity}")
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result = replace(checked, path=target)
    sidecar = target.with_name(target.name + ".sha256")
    sidecar.write_text(f"{result.sha256}  {target.name}\n", encoding="utf-8")
    return result


def inspect_backup(path: Path) -> Checked:
    """Check a backup before restoring it: an Arrears database, intact, at a revision this code knows."""
    checked = check_file(path)
    if checked.integrity != "ok":
        raise ConfigError(f"{path}: fails PRAGMA integrity_check: {checked.integrity}")
    known = {rev.revision for rev in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()}
    if checked.revision not in known:
        raise ConfigError(
            f"{path}: schema revision {checked.revision!r} is newer than this code (newest known: "
            f"{migrate.head_revision()}); upgrade Arrears before restoring it"
        )
    return checked


def _keep_current(database: Path, stamp: str) -> Path | None:
    if not database.is_file():
        return None
    keep = database.with_name(database.name + ".before-restore")
    if keep.exists():
        keep = database.with_name(f"{database.name}.{stamp}.before-restore")
    _copy(database, keep)
    with closing(sqlite3.connect(keep)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return keep


def restore_backup(rt: Runtime, principal: Principal, source: Path, *, confirmed: bool,
                   accept_broken_chain: bool = False) -> Restored:
    """Replace the configured SQLite database with a verified backup; the current one is kept beside it."""
    _require_admin(principal)
    database = sqlite_path(rt.settings)
    if not confirmed:
        raise InputRejected(f"restoring replaces {database}; confirm with --yes")
    if database.exists() and source.resolve() == database.resolve():
        raise InputRejected(f"{source} is the live database itself")
    checked = inspect_backup(source)
    if checked.audit_breaks and not accept_broken_chain:
        first = checked.audit_breaks[0]
        raise ConfigError(f"{source}: the audit chain in the backup is broken at seq {first.seq} "
                          f"({first.reason}); refusing to restore it (--accept-broken-chain to restore "
                          "anyway, e.g. for forensics)")
    rt.engine.dispose()  # no pooled connection keeps the old file's pages
    database.parent.mkdir(parents=True, exist_ok=True)
    kept = _keep_current(database, f"{rt.clock.now():%Y%m%d-%H%M%S}")
    _copy(source, database)
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    upgraded_from = None
    if checked.revision != migrate.head_revision():
        upgraded_from = checked.revision
        migrate.upgrade(rt.engine)
    rt.engine.dispose()
    return Restored(database=database, source=checked, previous_saved_as=kept, upgraded_from=upgraded_from,
                    result=check_file(database, read_only=False))
