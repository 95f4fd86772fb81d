"""Response and request bodies of the reports API, and the conversions from the reporting model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from arrears.core.i18n import gettext
from arrears.reporting.model import ArmReport, Dimension, KpiRow, KpiTable
from arrears.reporting.present import VERDICT_LABELS, format_kpi, group_label
from arrears.reporting.rules import KPIS, hours_of


class KpiOut(BaseModel):
    """One KPI of one group."""

    key: str = Field(examples=["connect_rate"])
    label: str
    value: str | None = Field(
        description="Exact decimal: a fraction for rates, major units for money; "
        "null when the denominator is zero"
    )
    numerator: str
    denominator: str
    currency: str | None = None
    display: str = Field(examples=["25.3%"])


class KpiRowOut(BaseModel):
    """The measures and KPIs of one group (or the total)."""

    group: str = Field(
        description="Team id, collector id, bucket, product or arm; empty for unassigned/total"
    )
    label: str
    measures: dict[str, int]
    hours: str
    kpis: list[KpiOut]


class KpiTableOut(BaseModel):
    """KPIs by one dimension over a period."""

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    by: str | None
    currency: str
    filters: dict[str, Any]
    refreshed_at: datetime | None = Field(description="When the summaries were last rebuilt")
    rows: list[KpiRowOut]
    total: KpiRowOut


class TrendOut(BaseModel):
    """KPIs per time step."""

    grain: str
    currency: str
    points: list[KpiRowOut]


class FunnelStageOut(BaseModel):
    """One stage of the promise funnel."""

    key: str
    label: str
    count: int
    share_of_previous: str | None
    share_of_first: str | None


class RollOut(BaseModel):
    """Where one bucket's accounts stood one month later."""

    month: date
    from_bucket: str
    accounts: int
    to_buckets: dict[str, int]
    rolled_forward: int
    stayed: int
    improved: int
    cured: int
    roll_rate: str | None
    cure_rate: str | None


class CohortOut(BaseModel):
    """One point of a recovery curve (cumulative)."""

    cohort: date
    months_since: int
    accounts: int
    paid_accounts: int
    paid_share: str | None
    collected: str
    collected_per_account: str | None


class ComparisonOut(BaseModel):
    """One KPI of a challenger against the champion."""

    kpi: str
    champion: str
    challenger: str
    champion_value: str | None
    challenger_value: str | None
    difference: str | None
    low: str | None
    high: str | None
    level: str | None
    method: str | None
    significant: bool
    verdict: str = Field(examples=["better", "worse", "no_difference", "not_enough_data"])
    verdict_label: str
    statement: str


class ArmsOut(BaseModel):
    """Every KPI per arm of an experiment, and the tests against the champion."""

    experiment: str
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    currency: str
    champion: str
    arms: list[KpiRowOut]
    comparisons: list[ComparisonOut]


class OptionsOut(BaseModel):
    """What the filters offer."""

    teams: list[dict[str, Any]]
    buckets: list[str]
    products: list[str]
    experiments: dict[str, list[str]]
    currencies: list[str]
    refreshed_at: datetime | None
    kpis: list[dict[str, str]]


class RefreshIn(BaseModel):
    """Which days to rebuild: the recent window by default, from a day, or everything."""

    as_of: date | None = Field(None, description="Last day (default: today in the reporting time zone)")
    start: date | None = Field(None, alias="from", description="First day (default: 40 days before as_of)")
    all: bool = Field(False, description="From the first day with data")


class RefreshOut(BaseModel):
    """What the refresh wrote."""

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    days: int
    activity_rows: int
    payment_rows: int
    roll_rows: int
    cohort_rows: int
    seconds: float


def row_out(row: KpiRow, by: Dimension | None, language: str) -> KpiRowOut:
    """A KPI row for JSON."""
    return KpiRowOut(
        group=row.group,
        label=group_label(by, row, language),
        measures=row.measures,
        hours=str(hours_of(row.measures)),
        kpis=[
            KpiOut(
                key=k.key,
                label=gettext(language, k.label),
                value=None if row.kpis[k.key].value is None else str(row.kpis[k.key].value),
                numerator=str(row.kpis[k.key].numerator),
                denominator=str(row.kpis[k.key].denominator),
                currency=row.kpis[k.key].currency,
                display=format_kpi(row.kpis[k.key], language),
            )
            for k in KPIS
        ],
    )


def table_out(table: KpiTable, language: str) -> KpiTableOut:
    f = table.filters
    return KpiTableOut.model_validate(
        {
            "from": table.period.start,
            "to": table.period.end,
            "by": table.by.value if table.by else None,
            "currency": table.currency,
            "refreshed_at": table.refreshed_at,
            "filters": {
                k: v
                for k, v in (
                    ("team", f.team_id),
                    ("collector", f.collector_id),
                    ("bucket", f.bucket),
                    ("product", f.product),
                    ("experiment", f.experiment),
                    ("arm", f.arm),
                )
                if v
            },
            "rows": [row_out(r, table.by, language) for r in table.rows],
            "total": row_out(table.total, None, language),
        }
    )


def arms_out(report: ArmReport, language: str) -> ArmsOut:
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return ArmsOut.model_validate(
        {
            "experiment": report.experiment,
            "from": report.period.start,
            "to": report.period.end,
            "currency": report.currency,
            "champion": report.champion,
            "arms": [row_out(r, Dimension.ARM, language) for r in report.arms],
            "comparisons": [
                ComparisonOut(
                    kpi=c.kpi,
                    champion=c.champion,
                    challenger=c.challenger,
                    champion_value=text(c.champion_value.value),
                    challenger_value=text(c.challenger_value.value),
                    difference=text(c.interval.difference if c.interval else None),
                    low=text(c.interval.low if c.interval else None),
                    high=text(c.interval.high if c.interval else None),
                    level=text(c.interval.level if c.interval else None),
                    method=c.interval.method.value if c.interval else None,
                    significant=bool(c.interval and c.interval.significant),
                    verdict=c.verdict,
                    verdict_label=gettext(language, VERDICT_LABELS[c.verdict]),
                    statement=c.statement,
                )
                for c in report.comparisons
            ],
        }
    )
