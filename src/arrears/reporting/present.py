"""Showing report figures: KPI values and differences as text, and the plain significance statement.

Pure Python; texts are English msgids translated through the catalog (reporting.po).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from arrears.core.i18n import gettext
from arrears.core.money import Money, exponent
from arrears.reporting.model import ArmComparison, Dimension, Interval, KpiDef, KpiKind, KpiRow, KpiValue
from arrears.reporting.rules import KPI_BY_KEY
from arrears.web.labels import label

_STATEMENTS = {
    "better": "%(challenger)s is significantly better than %(champion)s on %(kpi)s: %(challenger_value)s "
    "against %(champion_value)s, a difference of %(difference)s (%(level)s confidence interval "
    "%(low)s to %(high)s).",
    "worse": "%(challenger)s is significantly worse than %(champion)s on %(kpi)s: %(challenger_value)s "
    "against %(champion_value)s, a difference of %(difference)s (%(level)s confidence interval "
    "%(low)s to %(high)s).",
    "no_difference": "No significant difference between %(challenger)s and %(champion)s on %(kpi)s: "
    "%(challenger_value)s against %(champion_value)s, a difference of %(difference)s "
    "(%(level)s confidence interval %(low)s to %(high)s, which includes zero).",
    "not_enough_data": "Not enough data to compare %(challenger)s with %(champion)s on %(kpi)s.",
}
VERDICT_LABELS = {
    "better": "Significantly better",
    "worse": "Significantly worse",
    "no_difference": "No significant difference",
    "not_enough_data": "Not enough data",
}


UNASSIGNED = "Unassigned"


def group_label(by: Dimension | None, row: KpiRow, language: str = "en") -> str:
    """What to show for a KPI row's group: names as they are, product codes and 'Unassigned' translated."""
    if not row.group and row.label in (UNASSIGNED, "Total"):
        return gettext(language, row.label)
    if by is Dimension.PRODUCT:
        return gettext(language, label(row.group))
    return row.label


def _percent(value: Decimal, places: int = 1) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{(value * 100).quantize(quantum, ROUND_HALF_UP)}%"


def _money(amount: Decimal, currency: str) -> str:
    return Money.of(amount, currency).format()


def format_value(kpi: KpiDef, value: Decimal | None, currency: str | None, language: str = "en") -> str:
    """A KPI value as shown: 25.3%, CNY 1,234.50, CNY 812.00 per hour, 1.25 per hour, 125.0."""
    if value is None:
        return "—"
    kind = kpi.kind
    if kind is KpiKind.RATE:
        return _percent(value)
    if kind is KpiKind.MONEY_PER_COUNT:
        return _money(value, currency or "CNY")
    if kind is KpiKind.MONEY_PER_HOUR:
        return gettext(language, "%(value)s per hour") % {"value": _money(value, currency or "CNY")}
    if kind is KpiKind.COUNT_PER_HOUR:
        return gettext(language, "%(value)s per hour") % {"value": f"{value.quantize(Decimal('0.01'))}"}
    return f"{value.quantize(Decimal('0.1'), ROUND_HALF_UP)}"


def format_kpi(value: KpiValue, language: str = "en") -> str:
    """A computed KPI as shown."""
    return format_value(KPI_BY_KEY[value.key], value.value, value.currency, language)


def format_difference(kpi: KpiDef, difference: Decimal, currency: str | None, language: str = "en") -> str:
    """A signed difference: +2.1 percentage points, -CNY 12.30, +0.40 per hour."""
    sign = "+" if difference > 0 else "-" if difference < 0 else "±"
    size = abs(difference)
    if kpi.kind is KpiKind.RATE:
        points = (size * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return gettext(language, "%(points)s percentage points") % {"points": f"{sign}{points}"}
    if kpi.kind in (KpiKind.MONEY_PER_COUNT, KpiKind.MONEY_PER_HOUR):
        places = Decimal(1).scaleb(-exponent(currency or "CNY"))
        return f"{sign}{currency} {size.quantize(places, ROUND_HALF_UP):,}"
    return f"{sign}{size.quantize(Decimal('0.01'), ROUND_HALF_UP)}"


def format_bound(kpi: KpiDef, bound: Decimal, currency: str | None) -> str:
    """One end of an interval, signed, in the KPI's unit (percentage points for rates)."""
    if kpi.kind is KpiKind.RATE:
        return f"{(bound * 100).quantize(Decimal('0.1'), ROUND_HALF_UP):+}"
    if kpi.kind in (KpiKind.MONEY_PER_COUNT, KpiKind.MONEY_PER_HOUR):
        places = Decimal(1).scaleb(-exponent(currency or "CNY"))
        return f"{bound.quantize(places, ROUND_HALF_UP):+,}"
    return f"{bound.quantize(Decimal('0.01'), ROUND_HALF_UP):+}"


def statement(
    kpi: KpiDef,
    challenger: str,
    champion: str,
    challenger_value: KpiValue,
    champion_value: KpiValue,
    interval: Interval | None,
    verdict: str,
    language: str = "en",
) -> str:
    """The plain sentence saying whether the challenger differs from the champion on a KPI."""
    currency = challenger_value.currency or champion_value.currency
    params = {
        "challenger": challenger,
        "champion": champion,
        "kpi": gettext(language, kpi.label),
        "challenger_value": format_kpi(challenger_value, language),
        "champion_value": format_kpi(champion_value, language),
    }
    if interval is not None:
        params.update(
            difference=format_difference(kpi, interval.difference, currency, language),
            level=_percent(interval.level, 0),
            low=format_bound(kpi, interval.low, currency),
            high=format_bound(kpi, interval.high, currency),
        )
    return gettext(language, _STATEMENTS[verdict]) % params


def comparison_text(item: ArmComparison, language: str = "en") -> str:
    """The statement of an ArmComparison re-rendered in another language."""
    return statement(
        KPI_BY_KEY[item.kpi],
        item.challenger,
        item.champion,
        item.challenger_value,
        item.champion_value,
        item.interval,
        item.verdict,
        language,
    )
