"""Time rules: the permitted daily window in every zone the person may be in, and declared bad times."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from pydantic import field_validator

from arrears.compliance.context import Context
from arrears.compliance.flagdetail import Window, span, windows
from arrears.compliance.model import Flag, HoldKind, Party, ProposedContact
from arrears.compliance.rulebase import Finding, Params, deny, rule_type, show
from arrears.compliance.zones import hhmm, in_window, local, minute_of_day, next_moment, parse_hhmm, zone


def _check_zones(value: tuple[str, ...]) -> tuple[str, ...]:
    for name in value:
        zone(name)  # raises UnknownZone (a ValueError) naming it
    return value


class TimeWindowParams(Params):
    """Contact only inside [start, end) local time, in every zone the person may be in."""

    start: str = "08:00"
    end: str = "21:00"
    unknown_zones: tuple[str, ...] = ()  # assumed when neither the address nor a phone gives a zone
    debtor_consent: bool = False  # the debtor's consent_to_time flag opens the window for calls to him

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @field_validator("unknown_zones")
    @classmethod
    def _zones_known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_zones(value)


@lru_cache(maxsize=256)
def _minutes(start: str, end: str) -> tuple[int, int]:
    return parse_hhmm(start), parse_hhmm(end)


def _consented(ctx: Context, at: datetime, zones: tuple[str, ...]) -> bool:
    for flag in ctx.active(HoldKind.CONSENT_TO_TIME, at):
        bounds = span(flag)
        if bounds is not None and bounds[0] <= at < bounds[1]:
            return True
        for start, end, days in windows(flag):
            if all(_inside(at, z, start, end, days) for z in zones):
                return True
    return False


def _inside(at: datetime, zone_name: str, start: int, end: int, days: frozenset[int] | None) -> bool:
    loc = local(at, zone_name)
    return (days is None or loc.weekday() in days) and in_window(loc.hour * 60 + loc.minute, start, end)


@rule_type(
    "time_window",
    TimeWindowParams,
    {"deny": ("local", "start", "end", "zones")},
    "Outside the permitted local hours in any zone the person may be in",
)
def time_window(params: TimeWindowParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny outside [start, end) local time in any possible zone, unless the debtor agreed to the time."""
    zones = ctx.zones(p, params.unknown_zones)
    start, end = _minutes(params.start, params.end)
    use_consent = (
        params.debtor_consent and p.party is Party.DEBTOR and bool(ctx.flags(HoldKind.CONSENT_TO_TIME))
    )

    def ok(t: datetime) -> bool:
        """Inside the window in every zone, or at a time the debtor agreed to."""
        if all(in_window(minute_of_day(t, z), start, end) for z in zones):
            return True
        return use_consent and _consented(ctx, t, zones)

    if ok(p.at):
        return None
    extra: list[datetime] = []
    boundaries = [start, end]
    if use_consent:
        for flag in ctx.flags(HoldKind.CONSENT_TO_TIME):
            bounds = span(flag)
            if bounds:
                extra.append(bounds[0])
            boundaries += [w[0] for w in windows(flag)]
            extra.append(flag.set_at)
    nb = next_moment(p.at, zones, boundaries, ok, extra)
    return deny(
        not_before=nb,
        local="; ".join(show(p.at, z) for z in zones),
        start=hhmm(start),
        end=hhmm(end),
        zones=", ".join(zones),
    )


class DeclaredTimesParams(Params):
    """Honour the times the debtor declared inconvenient (a flag with daily windows)."""

    flag: HoldKind = HoldKind.INCONVENIENT_TIME


def _blocked(ctx: Context, kind: HoldKind, t: datetime, zones: tuple[str, ...]) -> tuple[Flag, Window] | None:
    for flag in ctx.active(kind, t):
        for w in windows(flag):
            if any(_inside(t, z, *w) for z in zones):
                return flag, w
    return None


@rule_type(
    "declared_times",
    DeclaredTimesParams,
    {"deny": ("local", "window", "set_by", "set_at", "reason")},
    "Inside a time the debtor declared inconvenient",
)
def declared_times(params: DeclaredTimesParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny inside a declared inconvenient window; allowed again when it ends or the flag is lifted."""
    if not ctx.flags(params.flag):
        return None
    zones = ctx.zones(p)
    hit = _blocked(ctx, params.flag, p.at, zones)
    if hit is None:
        return None
    flag, (start, end, _days) = hit
    bounds = [m for f in ctx.flags(params.flag) for w in windows(f) for m in w[:2]]
    lifts = [f.lifted_at for f in ctx.flags(params.flag) if f.lifted_at]
    nb = next_moment(p.at, zones, bounds, lambda t: _blocked(ctx, params.flag, t, zones) is None, lifts)
    return deny(
        not_before=nb,
        local="; ".join(show(p.at, z) for z in zones),
        window=f"{hhmm(start)}-{hhmm(end)}",
        set_by=flag.set_by,
        set_at=show(flag.set_at),
        reason=flag.reason or "-",
    )
