"""The app on a seeded database with hostile values everywhere a person can type text, and route listing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from arrears.core.access import Role
from arrears.runtime import Runtime
from arrears.users import audit
from arrears.users.store import users
from tests.authkit import iter_routes, make_user
from tests.e2e.conftest import Seeded, build_app
from tests.security_kit import XSS_IMG, XSS_SCRIPT, seed_debtor, session_cookie

HOSTILE = XSS_SCRIPT + XSS_IMG
# what must never reach a page unescaped (the seed's own XSS_NAME included)
RAW_MARKERS = ("<script>alert(", "<img src=x onerror", "<script>alert('x')")


@dataclass
class HostileApp:
    """The app, its runtime and the ids of the hostile records."""

    app: FastAPI
    rt: Runtime
    seeded: Seeded
    company: int
    person: int
    admin_cookie: str
    admin_csrf: str


def build_hostile_app(var_dir: Path) -> HostileApp:
    """The seeded e2e portfolio plus a company and a person whose texts are script injections."""
    app, seeded, _ = build_app(var_dir)
    assert seeded is not None
    rt: Runtime = app.state.runtime
    company = seed_debtor(rt, name=HOSTILE, kind="company", occupation=HOSTILE)["debtor"]
    person = seed_debtor(rt, name="赵" + XSS_IMG, employer=HOSTILE, occupation=XSS_SCRIPT,
                         address=f"1 Main St, {XSS_SCRIPT}, {XSS_IMG}", name_latin=HOSTILE)["debtor"]
    _hostile_note(rt, person)
    admin = make_user(rt, Role.ADMINISTRATOR)
    mallory = make_user(rt, Role.MANAGER, username="mallory" + XSS_IMG[:20])
    with rt.engine.begin() as conn:
        conn.execute(users.update().values(display_name=HOSTILE))  # shown in page headers, user lists
        audit.record(conn, mallory, "note.create", "debtor", person, {"text": HOSTILE, "why": XSS_IMG},
                     rt.clock.now())
    cookie, csrf = session_cookie(rt, admin)
    return HostileApp(app=app, rt=rt, seeded=seeded, company=company, person=person, admin_cookie=cookie,
                      admin_csrf=csrf)


def _hostile_note(rt: Runtime, debtor_id: int) -> None:
    """A collection note (and its author) with script in it, as a desk or an import would store it."""
    from arrears.compliance.language.store import collection_notes

    with rt.engine.begin() as conn:
        conn.execute(collection_notes.insert().values(
            debtor_id=debtor_id, author=XSS_SCRIPT, kind="note", third_party=False,
            text=f"debtor said {HOSTILE}", findings=[], worst_severity=None, created_at=rt.clock.now()))


_PARAM = re.compile(r"\{([^}]+)\}")


def page_paths(app: FastAPI, ids: dict[str, int]) -> list[str]:
    """The GET page paths of the app (not the API) with path parameters filled from ids (default '1')."""
    found: set[str] = set()
    for path, route in iter_routes(list(app.routes)):
        if "GET" not in (route.methods or ()) or path.startswith(("/api/", "/static", "/docs", "/openapi")):
            continue
        if path in ("/healthz", "/logout"):
            continue
        found.add(_PARAM.sub(lambda m: str(ids.get(m.group(1).split(":")[0], 1)), path))
    return sorted(found)
