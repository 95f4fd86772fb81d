"""`arrears compliance ...`: check a scenario against rule sets before they go live; list the rule sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail
from arrears.core.errors import ArrearsError, InputRejected

compliance_app = typer.Typer(
    help="Contact policy: who may be contacted, when and how often.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RulesetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ruleset",
        "-r",
        metavar="NAME|FILE.yaml",
        help="Rule set name, or a rule file to try before release; repeat to layer (regulation first)",
    ),
]
DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--rulesets-dir", metavar="DIR", help="Directory of rule set files (default: the shipped ones)"
    ),
]


@compliance_app.command("check")
def check_command(
    scenario: Annotated[
        Path, typer.Argument(metavar="SCENARIO.json", help="History, flags and the proposed contact")
    ],
    ruleset: RulesetOpt = None,
    rulesets_dir: DirOpt = None,
) -> None:
    """Evaluate a scenario and print the decision as JSON (exit 0 allowed, 1 denied, 2 bad input)."""
    from arrears.compliance.engine import evaluate
    from arrears.compliance.rulesets import RULESETS_DIR, layered
    from arrears.compliance.scenario import load_scenario

    try:
        parsed = load_scenario(scenario)
        chosen = tuple(ruleset or ()) or parsed.rulesets
        if not chosen:
            raise InputRejected(
                f"no rule set for {scenario}: pass --ruleset NAME or list 'rulesets' in the scenario"
            )
        sets = layered(chosen, rulesets_dir or RULESETS_DIR)
        decision = evaluate(parsed.proposed, parsed.facts, sets, parsed.evaluated_at)
    except ArrearsError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(decision.as_dict(), ensure_ascii=False, indent=2))
    raise typer.Exit(0 if decision.allowed else 1)


@compliance_app.command("rulesets")
def rulesets_command(
    rulesets_dir: DirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table")] = False,
) -> None:
    """List the rule sets with their versions, and any file that fails validation (exit 2 if one does)."""
    from arrears.compliance.rulesets import RULESETS_DIR, get, names

    directory = rulesets_dir or RULESETS_DIR
    loaded, broken = [], []
    for name in names(directory):
        try:
            loaded.append(get(name, directory).summary())
        except ArrearsError as exc:
            broken.append({"name": name, "error": str(exc)})
    if as_json:
        typer.echo(json.dumps({"rulesets": loaded, "invalid": broken}, ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"Rule sets in {directory}")
        for col in ("name", "version", "kind", "jurisdiction", "rules", "title"):
            table.add_column(col)
        for rs in loaded:
            table.add_row(
                rs["name"],
                rs["version"],
                rs["kind"],
                rs["jurisdiction"] or "-",
                str(len(rs["rules"])),
                rs["title"],
            )
        console.print(table)
        for bad in broken:
            err_console.print(f"[bold red]invalid:[/] {bad['error']}")
    if broken:
        raise typer.Exit(2)
