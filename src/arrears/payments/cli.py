"""`arrears payments post|reverse|import FILE|balance|statement` and `arrears promises judge|history`.

The CLI acts as SYSTEM (as the nightly batch does); every change is audited under that name.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli_support import console, fail, parse_as_of
from arrears.core.access import SYSTEM
from arrears.core.errors import ArrearsError, FieldProblem, InputRejected
from arrears.core.money import Money

payments_app = typer.Typer(help="Payments: post, reverse, import channel files, balances.",
                           no_args_is_help=True,
                           add_completion=False, pretty_exceptions_enable=False)
promises_app = typer.Typer(help="Promises to pay: judge, history.", no_args_is_help=True,
                           add_completion=False,
                           pretty_exceptions_enable=False)


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


def _money(amount: str, currency: str) -> Money:
    try:
        value = Money.of(amount, currency.upper())
    except ValueError as exc:
        raise InputRejected(f"amount: {exc}", [FieldProblem(0, "amount", amount, str(exc))]) from None
    if value.amount != Decimal(amount.strip()):
        raise InputRejected("amount: too many decimals", [FieldProblem(0, "amount", amount,
                                                                       "too many decimals")])
    return value


@payments_app.command("post")
def post_command(
    account: Annotated[str, typer.Argument(help="The account's external id")],
    amount: Annotated[str, typer.Argument(help="Decimal amount, e.g. 1234.50")],
    reference: Annotated[str, typer.Option("--reference", "-r", help="The channel's transaction id")],
    paid_on: Annotated[str, typer.Option("--paid-on", help="YYYY-MM-DD")],
    channel: Annotated[str,
                       typer.Option(help="bank_transfer, wechat_pay, alipay, cheque...")] = "bank_transfer",
    currency: Annotated[str | None, typer.Option(help="ISO 4217; default: the account's")] = None,
) -> None:
    """Post one payment (idempotent by reference) and print the allocation."""
    from arrears.payments import queries, service
    from arrears.runtime import Runtime

    try:
        rt = Runtime.build()
        if currency is None:
            with rt.engine.connect() as conn:
                currency = str(queries.account_by_external(conn, account).currency)
        done = service.post_payment(rt, SYSTEM, account_external_id=account, reference=reference,
                                    amount=_money(amount, currency), paid_on=_date(paid_on, "--paid-on"),
                                    channel=channel, source="cli")
    except ArrearsError as exc:
        raise fail(exc) from exc
    from dataclasses import asdict

    _echo(asdict(done))


@payments_app.command("reverse")
def reverse_command(
    reference: Annotated[str, typer.Argument(help="The payment's reference")],
    reason: Annotated[str, typer.Option("--reason", help="Why (bounced, recalled...)")],
) -> None:
    """Reverse a posted payment: exactly what it paid re-opens."""
    from arrears.payments import service
    from arrears.runtime import Runtime

    try:
        _echo(service.reverse_payment(Runtime.build(), SYSTEM, reference=reference, reason=reason))
    except ArrearsError as exc:
        raise fail(exc) from exc


@payments_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX")],
    layout: Annotated[str | None,
                      typer.Option(help="bank, wechat_pay, alipay, b2b_remittance (default: detect)")]
    = None,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding (utf-8, gb18030)")] = None,
) -> None:
    """Post a payment-channel file; any bad row refuses the whole file (exit 2, every problem listed)."""
    from arrears.payments import service
    from arrears.runtime import Runtime

    try:
        report = service.post_file(Runtime.build(), SYSTEM, file, layout=layout, encoding=encoding)
    except ArrearsError as exc:
        raise fail(exc) from exc
    console.print(f"{report['file']} ({report['layout']}): {report['rows']} rows, {report['posted']} posted, "
                  f"{report['duplicates']} already recorded, {len(report['skipped'])} skipped")
    for currency, minor in report["posted_minor"].items():
        console.print(f"  posted {Money.from_minor(minor, currency).format()}")
    for s in report["skipped"][:20]:
        console.print(f"  row {s['row']}: skipped ({s['reason']})", markup=False)


@payments_app.command("balance")
def balance_command(
    account: Annotated[str, typer.Argument(help="The account's external id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON with the ledger")] = False,
) -> None:
    """An account's balances as of the end of a day, rebuilt from its ledger."""
    from arrears.payments import service
    from arrears.runtime import Runtime

    try:
        rt = Runtime.build()
        day = parse_as_of(as_of, rt.clock.now().date()) if as_of else None
        out = service.balance(rt, SYSTEM, account, day)
    except ArrearsError as exc:
        raise fail(exc) from exc
    if as_json:
        _echo(out)
        return
    table = Table(title=f"{out['account']} as of {out['as_of']} ({out['currency']})")
    table.add_column("component")
    table.add_column("amount", justify="right")
    for name, value in out["components"].items():
        table.add_row(name, value)
    table.add_row("owed", out["owed"])
    table.add_row("credit", out["credit"])
    console.print(table)


@payments_app.command("statement")
def statement_command(
    account: Annotated[str, typer.Argument(help="The account's external id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today")] = None,
    lang: Annotated[str, typer.Option(help="zh-CN, en or both")] = "both",
) -> None:
    """Print a balance statement (zh-CN and/or English)."""
    from arrears.payments import arrangements
    from arrears.runtime import Runtime

    try:
        rt = Runtime.build()
        day = parse_as_of(as_of, rt.clock.now().date()) if as_of else None
        doc = arrangements.statement(rt, SYSTEM, account, day)
    except ArrearsError as exc:
        raise fail(exc) from exc
    if lang in ("zh-CN", "both"):
        typer.echo(doc["text_zh"])
    if lang in ("en", "both"):
        typer.echo(doc["text_en"])


@promises_app.command("judge")
def judge_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today")] = None,
) -> None:
    """Judge promises and plan instalments due by a date; broken ones raise work at once."""
    from arrears.payments import service
    from arrears.runtime import Runtime

    try:
        rt = Runtime.build()
        summary = service.judge(rt, SYSTEM, parse_as_of(as_of, rt.clock.now().date()))
    except ArrearsError as exc:
        raise fail(exc) from exc
    console.print(f"as of {summary.as_of}: {summary.judged} judged ({summary.kept} kept, "
                  f"{summary.partly_kept} partly kept, {summary.broken} broken); "
                  f"{summary.instalments_judged} instalments; {summary.plans_broken} plans broken, "
                  f"{summary.plans_completed} completed; {summary.work_items} work items")


@promises_app.command("history")
def history_command(debtor_id: Annotated[int, typer.Argument(min=1, help="The debtor's id")]) -> None:
    """A debtor's promise history: made, kept, partly kept, broken, pending."""
    from arrears.payments import service
    from arrears.runtime import Runtime

    try:
        hist = service.history(Runtime.build(), SYSTEM, debtor_id)
    except ArrearsError as exc:
        raise fail(exc) from exc
    console.print(f"debtor {debtor_id}: {hist.made} made, {hist.kept} kept, {hist.partly_kept} partly kept, "
                  f"{hist.broken} broken, {hist.pending} pending")
    for item in hist.items:
        console.print(f"  P{item.id} {item.amount.format()} due {item.due_on} via {item.channel}: "
                      f"{item.status.value} (paid {item.paid.format()})", markup=False)
