"""`arrears batch run`, `arrears strategy ...`, `arrears allocate` and `arrears cases reassign`.

They act as SYSTEM unless `--as USER` names the acting user (then that user's permissions apply).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail, parse_as_of, progress_bar
from arrears.core.errors import ArrearsError, InputRejected

batch_app = typer.Typer(no_args_is_help=True, add_completion=False)
strategy_app = typer.Typer(no_args_is_help=True, add_completion=False)
cases_app = typer.Typer(no_args_is_help=True, add_completion=False)

AsOf = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="The night to run (default: today)")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")]
Acting = Annotated[
    str | None, typer.Option("--as", metavar="USER", help="Act as this user (default: the system)")
]


def _runtime() -> Any:
    from arrears.runtime import Runtime

    return Runtime.build()


def _principal(rt: Any, username: str | None) -> Any:
    from arrears.core.access import SYSTEM

    if not username:
        return SYSTEM
    from arrears.core.errors import NotFound
    from arrears.users.principals import principal_from_row
    from arrears.users.store import user_row

    with rt.engine.connect() as conn:
        row = user_row(conn, username=username)
    if row is None or not row.active:
        raise NotFound(f"no active user {username!r}")
    return principal_from_row(row)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False))


def _short(counts: dict[str, Any]) -> str:
    keys = (
        "accounts_aged",
        "bucket_moves",
        "judged",
        "changed",
        "scored",
        "treated",
        "due_tomorrow",
        "moves",
        "placement",
        "items",
        "contactable",
        "semi_lost",
        "lost",
    )
    parts = []
    for k in keys:
        if k in counts:
            v = counts[k]
            if isinstance(v, dict):
                v = v.get("placed", 0)
                k = "placed"
            parts.append(f"{k.replace('_', ' ')} {v:,}" if isinstance(v, int) else f"{k} {v}")
    return ", ".join(parts)


def print_run(summary: Any) -> None:
    """The summary table of a nightly run."""
    table = Table(title=f"Nightly run {summary.run_id} as of {summary.as_of}: {summary.status}")
    for col in ("step", "status", "seconds", "counts", "note"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for r in summary.steps:
        color = {"completed": "green", "failed": "red", "skipped": "yellow"}.get(r.status, "")
        table.add_row(
            r.step,
            f"[{color}]{r.status}[/]" if color else r.status,
            f"{r.seconds:.1f}",
            _short(r.counts),
            r.error or r.note,
        )
    console.print(table)
    console.print(
        f"total {summary.seconds:.1f}s"
        + (f"; resumed {', '.join(summary.resumed)}" if summary.resumed else "")
    )


@batch_app.command("run")
def batch_run_command(
    as_of: AsOf = None,
    steps: Annotated[
        list[str] | None,
        typer.Option(
            "--steps",
            help="Only these steps (repeat or comma list): "
            "aging, promises, contactability, scores, best_time, "
            "treatments, allocation, work_items, reports",
        ),
    ] = None,
    restart: Annotated[
        bool, typer.Option("--restart", "--force", help="Repeat steps already completed for the date")
    ] = False,
    as_json: AsJson = False,
    acting: Acting = None,
) -> None:
    """Run the nightly steps for a date; an interrupted or failed run resumes where it stopped."""
    from arrears.strategy import jobs, service

    rt = _runtime()
    try:
        principal = _principal(rt, acting)
        when = parse_as_of(as_of, jobs.default_as_of(rt))
        if as_json:
            summary = service.run_batch(rt, principal, when, steps, restart)
        else:
            with progress_bar(f"Nightly run as of {when.isoformat()}") as report:
                summary = service.run_batch(rt, principal, when, steps, restart, progress=report)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json(summary.as_dict())
    else:
        print_run(summary)
    if summary.status != "completed":
        raise typer.Exit(code=1)


@batch_app.command("runs")
def batch_runs_command(
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 20, as_json: AsJson = False
) -> None:
    """The latest nightly runs."""
    from arrears.core.access import SYSTEM
    from arrears.strategy import service

    rt = _runtime()
    try:
        runs = service.list_runs(rt, SYSTEM, limit)
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json(runs)
        return
    table = Table(title="Nightly runs")
    for col in ("id", "as of", "status", "steps", "by", "started", "seconds", "error"):
        table.add_column(col)
    for r in runs:
        table.add_row(
            str(r["id"]),
            str(r["as_of"]),
            r["status"],
            ", ".join(r["steps"] or []),
            r["requested_by"],
            str(r["started_at"])[:19],
            f"{r['seconds'] or 0:.1f}",
            (r["error"] or "")[:80],
        )
    console.print(table)


def _print_validation(v: Any) -> None:
    if v.valid:
        console.print(f"[green]valid[/]: {v.message}")
    else:
        err_console.print(f"[bold red]invalid[/]: {v.message}", soft_wrap=True)
        for p in v.problems:
            err_console.print(f"  - {p.describe()}", soft_wrap=True, markup=False, highlight=False)
    for w in v.warnings:
        err_console.print(f"  [yellow]warning[/] {w}", soft_wrap=True, highlight=False)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected(f"treatment file {path} cannot be read: {exc}") from None


@strategy_app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="The treatment file (YAML)")], as_json: AsJson = False
) -> None:
    """Check a treatment file (schema, experiments, the contact policy); nothing is stored."""
    from arrears.core.access import SYSTEM
    from arrears.strategy import service

    rt = _runtime()
    try:
        v = service.validate(rt, SYSTEM, _read(file), str(file))
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json(
            {
                "valid": v.valid,
                "message": v.message,
                "warnings": v.warnings,
                "problems": [p.describe() for p in v.problems],
            }
        )
    else:
        _print_validation(v)
    if not v.valid:
        raise typer.Exit(code=2)


def _store(file: Path, reason: str, activate: bool, acting: str | None, as_json: bool) -> None:
    from arrears.strategy import service

    rt = _runtime()
    try:
        out = service.upload(rt, _principal(rt, acting), _read(file), str(file), reason, activate=activate)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json(out)
        return
    state = "in force" if out["in_force"] else "stored (not in force)"
    console.print(f"{out['label']} (version {out['id']}, sha256 {out['checksum'][:12]}…): {state}")
    for w in out["warnings"]:
        err_console.print(f"  [yellow]warning[/] {w}", soft_wrap=True, highlight=False)


@strategy_app.command("activate")
def activate_command(
    file: Annotated[Path, typer.Argument(help="The treatment file (YAML)")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the change)")],
    as_json: AsJson = False,
    acting: Acting = None,
) -> None:
    """Validate, store and put a treatment file in force; on any problem the version in force stays."""
    _store(file, reason, True, acting, as_json)


@strategy_app.command("upload")
def upload_command(
    file: Annotated[Path, typer.Argument(help="The treatment file (YAML)")],
    reason: Annotated[str, typer.Option("--reason", help="Why")] = "",
    as_json: AsJson = False,
    acting: Acting = None,
) -> None:
    """Validate and store a treatment file without putting it in force."""
    _store(file, reason, False, acting, as_json)


@strategy_app.command("show")
def show_command(
    version: Annotated[int | None, typer.Option("--version", help="A stored version id")] = None,
    yaml_text: Annotated[bool, typer.Option("--yaml", help="Print the file itself")] = False,
    as_json: AsJson = False,
) -> None:
    """The strategy in force (or a stored version): paths, steps, experiments, escalation, allocation."""
    from arrears.core.access import SYSTEM
    from arrears.strategy import service

    rt = _runtime()
    try:
        shown = service.show_version(rt, SYSTEM, version)
        listing = service.list_versions(rt, SYSTEM)
        experiments = service.list_experiments(rt, SYSTEM)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json({"version": shown, "experiments": experiments})
        return
    if yaml_text:
        typer.echo(shown["yaml_text"])
        return
    s = shown["summary"]
    console.print(f"[bold]{shown['label']}[/] (version {shown['id']}, {shown['status']}): {s['title']}")
    if listing["in_force"]:
        f = listing["in_force"]
        console.print(f"in force: {f['label']} since {str(f['since'])[:19]} by {f['by']}: {f['reason']}")
    table = Table(title="Paths (first match wins)")
    for col in ("path", "title", "steps"):
        table.add_column(col)
    for p in s["paths"]:
        steps = "\n".join(f"{k}: {'; '.join(v) or '—'}" for k, v in p["steps"].items())
        table.add_row(p["id"] + (" (gentle)" if p["gentle"] else ""), p["title"], steps)
    console.print(table)
    for e in experiments:
        arms = ", ".join(f"{a['arm']} {a['percent']:g}% → {a['path']} ({a['accounts']:,})" for a in e["arms"])
        console.print(f"experiment {e['name']} on {e['path']} [{e['status']}]: {arms}")
    esc = s["escalation"]
    console.print(
        f"escalation: in-house to {esc['in_house_max_dpd']} DPD, write-off review past "
        f"{esc['write_off_after_dpd']} DPD; teams: {', '.join(s['allocation']['teams']) or '—'}"
    )
    for w in s["warnings"]:
        err_console.print(f"  [yellow]warning[/] {w}", soft_wrap=True, highlight=False)


def allocate_command(as_of: AsOf = None, as_json: AsJson = False, acting: Acting = None) -> None:
    """Allocate cases now: placement past in-house age, teams and collectors (every move recorded)."""
    from arrears.strategy import jobs, service

    rt = _runtime()
    try:
        when = parse_as_of(as_of, jobs.default_as_of(rt))
        summary = service.allocate(rt, _principal(rt, acting), when)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json(summary.as_dict())
    else:
        print_run(summary)
    if summary.status != "completed":
        raise typer.Exit(code=1)


@cases_app.command("reassign")
def reassign_command(
    case: Annotated[int, typer.Argument(help="The case id")],
    to: Annotated[str, typer.Option("--to", help="The collector's username or id")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded and audited)")],
    acting: Acting = None,
    as_json: AsJson = False,
) -> None:
    """Give a case to another collector (recorded as a manual move, audited)."""
    from arrears.strategy import service

    rt = _runtime()
    try:
        out = service.reassign(rt, _principal(rt, acting), case, to, reason)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        _echo_json(out)
    elif out["moved"]:
        console.print(f"case {case} now with collector {out['collector_id']} (team {out['team_id']})")
    else:
        console.print(f"case {case} already with collector {out['collector_id']}: nothing changed")
