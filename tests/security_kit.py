"""Security-test helpers: seed debtors in a team or agency, append audit records, tamper, run the CLI."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from typer.testing import CliRunner, Result

from arrears.core.access import SYSTEM, Principal
from arrears.portfolio.store import accounts, cases, contact_points, debtors
from arrears.runtime import Runtime
from arrears.users import audit
from arrears.users.audit_store import guard_suspended
from arrears.users.store import audit_log

STAMP = datetime(2026, 1, 1, tzinfo=UTC)
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(2)>'


def seed_debtor(rt: Runtime, *, name: str = "张伟", team_id: int | None = None, agency_id: int | None = None,
                phone: str = "+8613812345678", id_number: str | None = "110105199001011234",
                email: str | None = "zhangwei@example.com", **extra: Any) -> dict[str, int]:
    """A person with own phone and e-mail, a spouse's phone, an open case (team), an account (agency)."""
    ref = uuid.uuid4().hex[:8]
    with rt.engine.begin() as conn:
        values = {"external_id": f"D-{ref}", "kind": "person", "name": name, "id_type": "resident_id",
                  "id_number": id_number, "timezone": "Asia/Shanghai", "timezone_source": "default",
                  "row_hash": "h", "created_at": STAMP, "updated_at": STAMP, **extra}
        debtor_id = int(conn.execute(insert(debtors).values(**values).returning(debtors.c.id)).scalar_one())
        ids = {"debtor": debtor_id}
        ids["own_phone"] = _contact(conn, debtor_id, "self", "phone", phone)
        if email:
            ids["email"] = _contact(conn, debtor_id, "self", "email", email)
        ids["spouse_phone"] = _contact(conn, debtor_id, "spouse", "phone", "+8613987654321",
                                       contact_name="王芳")
        ids["case"] = int(conn.execute(insert(cases).values(
            debtor_id=debtor_id, status="open", opened_on=date(2026, 1, 1), team_id=team_id,
            created_at=STAMP, updated_at=STAMP,
        ).returning(cases.c.id)).scalar_one())
        ids["account"] = int(conn.execute(insert(accounts).values(
            external_id=f"A-{ref}", debtor_id=debtor_id, case_id=ids["case"], product="credit_card",
            currency="CNY", principal_minor=100_000, dpd=40, bucket="M2", agency_id=agency_id, row_hash="h",
            created_at=STAMP, updated_at=STAMP,
        ).returning(accounts.c.id)).scalar_one())
    return ids


def _contact(conn: Connection, debtor_id: int, relationship: str, channel: str, value: str,
             **extra: Any) -> int:
    return int(conn.execute(insert(contact_points).values(
        debtor_id=debtor_id, relationship=relationship, channel=channel, value=value,
        source="debtor_provided", consent="debtor_gave", status="valid", row_hash="h", created_at=STAMP,
        updated_at=STAMP, **extra,
    ).returning(contact_points.c.id)).scalar_one())


def append(rt: Runtime, n: int, principal: Principal = SYSTEM, action: str = "hold.set",
           entity_type: str = "debtor", entity_id: object = 7) -> list[int]:
    """Append n audit records, one transaction each; their sequence numbers."""
    seqs = []
    for i in range(n):
        with rt.engine.begin() as conn:
            seqs.append(audit.record(conn, principal, action, entity_type, entity_id, {"i": i, "note": "x"},
                                     rt.clock.now()))
    return seqs


def tamper(rt: Runtime, sql: str, **params: Any) -> None:
    """Run raw SQL on audit_log with the append-only guard lifted (as an attacker with DB access would)."""
    from sqlalchemy import text

    with rt.engine.begin() as conn, guard_suspended(conn):
        conn.execute(text(sql), params)


def row(rt: Runtime, seq: int) -> Any:
    """The audit_log row with this sequence number."""
    with rt.engine.connect() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.seq == seq)).one()


def cli_env(rt: Runtime) -> dict[str, str]:
    """Environment for the CLI to talk to the runtime's database."""
    return {"ARREARS_DATABASE_URL": rt.settings.database_url, "ARREARS_VAR_DIR": str(rt.settings.var_dir)}


def run_cli(rt: Runtime, *args: str) -> Result:
    """Invoke `arrears ARGS` against the runtime's database."""
    from arrears.cli import _register, app

    _register()
    return CliRunner().invoke(app, list(args), env=cli_env(rt))


def session_cookie(rt: Runtime, principal: Principal) -> tuple[str, str]:
    """A live page session for the principal: (cookie value, CSRF token), as a login would create."""
    from types import SimpleNamespace

    from tests.authkit import session

    jar: dict[str, str] = {}
    csrf = session(rt, SimpleNamespace(cookies=SimpleNamespace(set=jar.__setitem__)), principal)
    return next(iter(jar.values())), csrf
