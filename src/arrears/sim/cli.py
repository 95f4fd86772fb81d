"""`arrears sim run --config FILE [--out DIR]`: run a simulation, write its report, print the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail, progress_bar
from arrears.core.errors import ArrearsError
from arrears.core.i18n import gettext, normalise_language

sim_app = typer.Typer(
    help="The portfolio simulator: synthetic debtors and collectors on the real engines.",
    no_args_is_help=True,
)


@sim_app.command("run")
def run_command(
    config: Annotated[Path, typer.Option("--config", help="The simulation file (sim.yaml)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Report directory (default: var/sim/NAME)")
    ] = None,
    debtors: Annotated[
        int | None, typer.Option("--debtors", help="Override the file's number of debtors")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Override the file's number of days")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en | zh-CN")] = "en",
) -> None:
    """Simulate the portfolio, then write report.html, kpis.json and kpis.csv and print the summary."""
    from arrears.settings import Settings
    from arrears.sim import config as sim_config
    from arrears.sim import engine, report

    language = normalise_language(lang, "en")
    t = lambda s: gettext(language, s)  # noqa: E731
    try:
        cfg = sim_config.load(config)
        overrides = {k: v for k, v in (("debtors", debtors), ("days", days)) if v is not None}
        if overrides:
            cfg = sim_config.parse({**cfg.model_dump(mode="json"), **overrides}, str(config))
        target = out or Settings().var_dir / "sim" / cfg.name
        with progress_bar(t("Simulating")) as progress:
            run = engine.run(cfg, target / "db", progress)
        built = report.build(run, language)
        paths = report.write(built, target, language)
    except ArrearsError as exc:
        raise fail(exc) from exc
    table = Table(
        title=f"{t('Portfolio simulation')}: {cfg.name} ({built.period.start} – {built.period.end})"
    )
    table.add_column(t("Arm"))
    for _, heading in [(k, report.label(k, language)) for k in report.SUMMARY]:
        table.add_column(heading, justify="right")
    for arm in built.arms:
        table.add_row(arm.name, *[report.shown(arm, k, built.currency, language) for k in report.SUMMARY])
    console.print(table)
    for v in built.verdicts:
        word = t("beats") if v["beats"] else t("does not beat")
        console.print(
            f"{v['arm']} {word} {v['baseline']} "
            f"({t('Collected per collector hour')}: {v['collected_per_hour']} vs "
            f"{v['baseline_collected_per_hour']}; {t('No policy violations')}: "
            f"{t('yes') if v['no_violations'] else t('no')})"
        )
        if v["statement"]:
            console.print(f"  {v['statement']}")
    for x in built.targets:
        mark = t("in range") if x["ok"] else t("out of range")
        value = "—" if x["value"] is None else f"{x['value']:,.3f}"
        console.print(f"{t(x['label'])}: {value} [{x['low']} – {x['high']}] {mark}")
    counts = built.counts
    console.print(
        f"{t('Attempts')}: {counts['attempts']:,}; {t('Refused by the product')}: {counts['refused']}; "
        f"{t('Run time')}: {built.seconds} s"
    )
    for line in counts["errors"][:5]:
        err_console.print(f"  ! {line}", markup=False)
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")
