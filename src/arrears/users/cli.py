"""`arrears users ...`: the first administrator, users, teams, agencies and bearer tokens (acts as SYSTEM)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail
from arrears.core.access import SYSTEM, Role
from arrears.core.errors import ArrearsError, InputRejected
from arrears.runtime import Runtime
from arrears.users.rules import CLI_TOKEN_DAYS, password_problems

users_app = typer.Typer(
    help="Users, roles, teams, agencies and API tokens (the command line acts as the system).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

UsernameOpt = Annotated[str, typer.Option("--username", "-u", help="Login name (lower case)")]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")
]


@contextmanager
def _runtime() -> Iterator[Runtime]:
    rt = Runtime.build()
    try:
        yield rt
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()


def _password(username: str, from_stdin: bool) -> str:
    """Ask for a password twice (hidden), or read it from stdin; refuse one that fails the policy."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = password_problems(password, username)
    if problems:
        raise fail(InputRejected("password refused: " + "; ".join(p.message for p in problems)))
    return password


def _team_id(rt: Runtime, team: str | None) -> int | None:
    from arrears.users import service

    if not team:
        return None
    for t in service.list_teams(rt, SYSTEM):
        if t.name == team or str(t.id) == team:
            return t.id
    raise InputRejected(f"no team {team!r} (arrears users teams lists them)")


def _agency_id(rt: Runtime, agency: str | None) -> int | None:
    from arrears.users import service

    if not agency:
        return None
    for a in service.list_agencies(rt, SYSTEM):
        if a.code == agency.upper() or str(a.id) == agency:
            return a.id
    raise InputRejected(f"no agency {agency!r} (arrears users agencies lists them)")


@users_app.command("create-admin")
def create_admin(
    username: UsernameOpt,
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown in pages")] = "",
    password_stdin: StdinOpt = False,
) -> None:
    """Create an administrator (the first one comes from here); asks for the password twice."""
    from arrears.users import service

    password = _password(username, password_stdin)
    with _runtime() as rt:
        user = service.create_admin(rt, username, password, display_name or None)
    console.print(f"administrator [bold]{user.username}[/] created (id {user.id}); log in at /login")


@users_app.command("add")
def add_user(
    username: UsernameOpt,
    role: Annotated[Role, typer.Option("--role", "-r", help="The user's role")],
    team: Annotated[
        str | None, typer.Option("--team", "-t", help="Team name or id (collectors, leads)")
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", "-a", help="Agency code or id (agency users)")
    ] = None,
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown in pages")] = "",
    password_stdin: StdinOpt = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="No password: API tokens only")] = False,
) -> None:
    """Add a user with a role (and a team or an agency); asks for the password twice."""
    from arrears.users import service

    password = None if no_password else _password(username, password_stdin)
    with _runtime() as rt:
        user = service.create_user(
            rt,
            SYSTEM,
            username=username,
            role=role,
            password=password,
            display_name=display_name or None,
            team_id=_team_id(rt, team),
            agency_id=_agency_id(rt, agency),
        )
    console.print(f"user [bold]{user.username}[/] ({user.role.value}) created (id {user.id})")


@users_app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Every user: role, team or agency, active, locked."""
    from arrears.users import service

    with _runtime() as rt:
        found = service.list_users(rt, SYSTEM)
        now = rt.clock.now()
    if as_json:
        for u in found:
            typer.echo(
                json.dumps(
                    {
                        "id": u.id,
                        "username": u.username,
                        "display_name": u.display_name,
                        "role": u.role.value,
                        "team": u.team,
                        "agency": u.agency,
                        "active": u.active,
                        "locked": bool(u.locked_until and u.locked_until > now),
                    },
                    ensure_ascii=False,
                )
            )
        return
    table = Table(title=f"{len(found)} users")
    for column in ("id", "username", "name", "role", "team", "agency", "state"):
        table.add_column(column)
    for u in found:
        state = (
            "deactivated"
            if not u.active
            else ("locked" if u.locked_until and u.locked_until > now else "active")
        )
        table.add_row(
            str(u.id), u.username, u.display_name, u.role.value, u.team or "-", u.agency or "-", state
        )
    console.print(table)


@users_app.command("token")
def token(
    username: UsernameOpt,
    days: Annotated[int, typer.Option("--days", min=0, max=3650, help="Lifetime in days; 0: no expiry")] = (
        CLI_TOKEN_DAYS
    ),
    label: Annotated[str, typer.Option("--label", help="What the token is for")] = "cli",
) -> None:
    """Print a new bearer token for a user (send it as `Authorization: Bearer <token>`)."""
    from arrears.users import login, service
    from arrears.users.principals import principal_from_row
    from arrears.users.store import user_row

    with _runtime() as rt:
        user = service.find_user(rt, SYSTEM, username)
        if not user.active:
            raise fail(InputRejected(f"user {user.username!r} is deactivated"))
        with rt.engine.connect() as conn:
            principal = principal_from_row(user_row(conn, user_id=user.id))
        issued = login.issue_token(rt, principal, label, days or None)
    err_console.print(
        f"token for {user.username} ({user.role.value}), "
        f"expires {issued.expires_at.isoformat() if issued.expires_at else 'never'}:"
    )
    typer.echo(issued.token)


def _by_name(rt: Runtime, username: str) -> int:
    from arrears.users import service

    return service.find_user(rt, SYSTEM, username).id


@users_app.command("deactivate")
def deactivate(username: UsernameOpt) -> None:
    """Deactivate a user: no more logins; sessions end, tokens are revoked."""
    from arrears.users import service

    with _runtime() as rt:
        user = service.deactivate(rt, SYSTEM, _by_name(rt, username))
    console.print(f"user {user.username} deactivated")


@users_app.command("unlock")
def unlock(username: UsernameOpt) -> None:
    """Lift a login lockout."""
    from arrears.users import service

    with _runtime() as rt:
        user = service.unlock(rt, SYSTEM, _by_name(rt, username), client_ip="cli")
    console.print(f"user {user.username} unlocked")


@users_app.command("set-password")
def set_password(username: UsernameOpt, password_stdin: StdinOpt = False) -> None:
    """Set a user's password (their sessions end and tokens are revoked)."""
    from arrears.users import service

    password = _password(username, password_stdin)
    with _runtime() as rt:
        service.reset_password(rt, SYSTEM, _by_name(rt, username), password)
    console.print(f"password of {username} set")


@users_app.command("teams")
def teams(
    add: Annotated[str | None, typer.Option("--add", help="Create a team with this name")] = None,
) -> None:
    """List the teams (or add one)."""
    from arrears.users import service

    with _runtime() as rt:
        if add:
            created = service.create_team(rt, SYSTEM, add)
            console.print(f"team {created.name} created (id {created.id})")
        found = service.list_teams(rt, SYSTEM)
    table = Table(title="Teams")
    for column in ("id", "name", "active members"):
        table.add_column(column)
    for t in found:
        table.add_row(str(t.id), t.name, str(t.members))
    console.print(table)


@users_app.command("agencies")
def agencies(
    add: Annotated[
        str | None, typer.Option("--add", metavar="CODE", help="Create an agency with this code")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="The new agency's name")] = "",
    commission_ppm: Annotated[int, typer.Option("--commission-ppm", min=0, max=1_000_000)] = 0,
) -> None:
    """List the collection agencies (or add one)."""
    from arrears.users import service

    with _runtime() as rt:
        if add:
            created = service.create_agency(rt, SYSTEM, add, name or add, commission_ppm)
            console.print(f"agency {created.code} created (id {created.id})")
        found = service.list_agencies(rt, SYSTEM)
    table = Table(title="Agencies")
    for column in ("id", "code", "name", "commission ppm", "active members"):
        table.add_column(column)
    for a in found:
        table.add_row(str(a.id), a.code, a.name, str(a.commission_ppm), str(a.members))
    console.print(table)
