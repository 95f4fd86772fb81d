"""Counting rules over the contact history: call frequency, conversations, daily limits, reachability.

Days are the debtor's local calendar days (the address zone, else the first known zone). Only history
strictly before the proposed moment counts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import Field

from arrears.compliance.context import Context
from arrears.compliance.model import (
    NEVER_CONNECTED,
    ContactChannel,
    Direction,
    HistoryEntry,
    HoldKind,
    Outcome,
    Party,
    ProposedContact,
    Purpose,
)
from arrears.compliance.rulebase import Finding, Params, deny, require, rule_type, show
from arrears.compliance.zones import local_date, local_midnight_after

TELEPHONE = (ContactChannel.CALL, ContactChannel.VOICEMAIL)
OUTBOUND = Direction.OUTBOUND  # module constants: enum attribute lookups are slow in hot loops
DEBTOR = Party.DEBTOR
REACHED = frozenset({Outcome.CONNECTED_RPC, Outcome.REFUSED, Outcome.VISITED})


def _same_person(e: HistoryEntry, p: ProposedContact) -> bool:
    if p.party is DEBTOR:
        return e.party is DEBTOR
    return e.party is p.party and e.contact_point_id == p.contact_point_id


def _consented(ctx: Context, at: datetime, given_at: datetime | None, days: int) -> bool:
    """Placed with direct prior consent given at most `days` days before."""
    limit = timedelta(days=days)
    if given_at is not None and given_at <= at <= given_at + limit:
        return True
    return any(
        f.set_at <= at <= f.set_at + limit and (f.lifted_at is None or at < f.lifted_at)
        for f in ctx.flags(HoldKind.CALL_CONSENT)
    )


class CallFrequencyParams(Params):
    """At most `max_calls` counted calls to a person about the debt within `days` consecutive days."""

    max_calls: int = Field(7, ge=1)
    days: int = Field(7, ge=1)
    counted_channels: tuple[ContactChannel, ...] = TELEPHONE
    excluded_outcomes: tuple[Outcome, ...] = tuple(sorted(NEVER_CONNECTED))
    consent_days: int = Field(7, ge=0)


@rule_type(
    "call_frequency",
    CallFrequencyParams,
    {"deny": ("count", "limit", "days", "allowed_from")},
    "Too many call attempts to the person within consecutive days",
)
def call_frequency(params: CallFrequencyParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny the call that would exceed the limit; calls with fresh consent or never connected don't count."""
    if _consented(ctx, p.at, None, params.consent_days):
        return None
    today = local_date(p.at, ctx.day_zone)
    first = today - timedelta(days=params.days - 1)
    dates: list[date] = []
    for i, e in ctx.back_from(p.at):
        day = ctx.day_of(i)
        if day < first:
            break
        if (
            e.direction is OUTBOUND
            and e.channel in params.counted_channels
            and e.outcome not in params.excluded_outcomes
            and _same_person(e, p)
            and not _consented(ctx, e.at, e.consent_at, params.consent_days)
        ):
            dates.append(day)
    if len(dates) < params.max_calls:
        return None
    nb = local_midnight_after(dates[params.max_calls - 1], params.days, ctx.day_zone)
    return deny(
        not_before=nb,
        count=len(dates),
        limit=params.max_calls,
        days=params.days,
        allowed_from=show(nb, ctx.day_zone),
    )


class ConversationParams(Params):
    """No call within `days` days after a telephone conversation about the debt (its day is day 1)."""

    days: int = Field(7, ge=1)
    consent_days: int = Field(7, ge=0)


@rule_type(
    "conversation_cooldown",
    ConversationParams,
    {"deny": ("conversation_on", "days", "allowed_from")},
    "A call within days after a telephone conversation with the person",
)
def conversation_cooldown(params: ConversationParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny calls on days 1..N after a conversation (the conversation's day is day 1), unless consented."""
    if _consented(ctx, p.at, None, params.consent_days):
        return None
    first = local_date(p.at, ctx.day_zone) - timedelta(days=params.days - 1)
    for i, e in ctx.back_from(p.at):
        day = ctx.day_of(i)
        if day < first:
            return None
        if e.is_conversation and _same_person(e, p):
            nb = local_midnight_after(day, params.days, ctx.day_zone)
            return deny(
                not_before=nb,
                conversation_on=day.isoformat(),
                days=params.days,
                allowed_from=show(nb, ctx.day_zone),
            )
    return None


class DailyConnectedParams(Params):
    """At most `max_connected` connected calls per debtor per local day, in-house and agencies together."""

    max_connected: int = Field(3, ge=1)
    count_parties: tuple[Party, ...] = (Party.DEBTOR,)
    counted_channels: tuple[ContactChannel, ...] = TELEPHONE


@rule_type(
    "daily_connected_limit",
    DailyConnectedParams,
    {"deny": ("count", "limit", "date")},
    "Too many connected calls with the debtor today",
)
def daily_connected_limit(params: DailyConnectedParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny once today's connected calls (any collector, in-house or agency) reach the limit."""
    today = local_date(p.at, ctx.day_zone)
    count = 0
    for i, e in ctx.back_from(p.at):
        if ctx.day_of(i) < today:
            break
        if (
            e.direction is OUTBOUND
            and e.connected
            and e.channel in params.counted_channels
            and e.party in params.count_parties
        ):
            count += 1
    if count < params.max_connected:
        return None
    return deny(
        not_before=local_midnight_after(today, 1, ctx.day_zone),
        count=count,
        limit=params.max_connected,
        date=today.isoformat(),
    )


class DailyDialParams(Params):
    """At most `max_dials` dial attempts per local day to the same number."""

    max_dials: int = Field(6, ge=1)
    counted_channels: tuple[ContactChannel, ...] = TELEPHONE


@rule_type(
    "daily_dial_limit",
    DailyDialParams,
    {"deny": ("count", "limit", "date")},
    "Too many dial attempts to this number today",
)
def daily_dial_limit(params: DailyDialParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny once today's dial attempts to the number (any outcome) reach the limit."""
    if p.contact_point_id is None:
        return None
    today = local_date(p.at, ctx.day_zone)
    count = 0
    for i, e in ctx.back_from(p.at):
        if ctx.day_of(i) < today:
            break
        if (
            e.direction is OUTBOUND
            and e.contact_point_id == p.contact_point_id
            and e.channel in params.counted_channels
        ):
            count += 1
    if count < params.max_dials:
        return None
    return deny(
        not_before=local_midnight_after(today, 1, ctx.day_zone),
        count=count,
        limit=params.max_dials,
        date=today.isoformat(),
    )


def _last_debtor_attempts(
    ctx: Context, at: datetime, n: int, channels: tuple[ContactChannel, ...]
) -> list[tuple[int, HistoryEntry]]:
    found: list[tuple[int, HistoryEntry]] = []
    for i, e in ctx.back_from(at):
        if e.direction is OUTBOUND and e.party is DEBTOR and e.channel in channels:
            found.append((i, e))
            if len(found) == n:
                break
    return found


class ThirdPartyGateParams(Params):
    """Third parties only when the debtor is unreachable, only to locate him or pass on a message."""

    failures: int = Field(3, ge=1)
    invalid_statuses: tuple[str, ...] = ("invalid", "wrong_party")
    purposes: tuple[Purpose, ...] = (Purpose.LOCATE, Purpose.MESSAGE)
    counted_channels: tuple[ContactChannel, ...] = TELEPHONE


@rule_type(
    "third_party_gate",
    ThirdPartyGateParams,
    {"deny": ("failures", "recent"), "purpose": ("purpose", "purposes"), "require": ("failures",)},
    "Third parties only when the debtor is unreachable, and never told about the debt",
)
def third_party_gate(params: ThirdPartyGateParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny unless every debtor phone is invalid or the last N attempts to him all failed; no disclosure."""
    if p.purpose is not None and p.purpose not in params.purposes:
        return deny("purpose", purpose=p.purpose.value, purposes=", ".join(x.value for x in params.purposes))
    phones = [cp for cp in ctx.facts.contact_points if cp.relationship == "self" and cp.kind == "phone"]
    if all(cp.status in params.invalid_statuses for cp in phones):
        return require("third_party_no_disclosure", failures=params.failures)
    last = _last_debtor_attempts(ctx, p.at, params.failures, params.counted_channels)
    if len(last) == params.failures and all(e.outcome not in REACHED for _, e in last):
        return require("third_party_no_disclosure", failures=params.failures)
    recent = ", ".join(f"{e.outcome.value}" for _, e in last) or "-"
    return deny(failures=params.failures, recent=recent)


class ThirdPartyOnceParams(Params):
    """A third party once only, and only for location information."""

    purposes: tuple[Purpose, ...] = (Purpose.LOCATE,)


@rule_type(
    "third_party_once",
    ThirdPartyOnceParams,
    {"deny": ("last_contact",), "purpose": ("purpose", "purposes"), "require": ()},
    "A third party may be contacted once, for location information only",
)
def third_party_once(params: ThirdPartyOnceParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny a second communication with the same third party, or one not for location information."""
    if p.purpose is not None and p.purpose not in params.purposes:
        return deny("purpose", purpose=p.purpose.value, purposes=", ".join(x.value for x in params.purposes))
    for _, e in ctx.back_from(p.at):
        if e.contact_point_id == p.contact_point_id and e.party is Party.THIRD_PARTY and e.connected:
            return deny(last_contact=show(e.at))
    return require("location_information_only")


class UnreachableRetryParams(Params):
    """A debtor whose last N attempts all failed is retried only every `retry_days` days."""

    failures: int = Field(3, ge=1)
    retry_days: int = Field(3, ge=1)
    counted_channels: tuple[ContactChannel, ...] = TELEPHONE


@rule_type(
    "unreachable_retry",
    UnreachableRetryParams,
    {"deny": ("failures", "last_failed", "retry_days", "allowed_from")},
    "An unreachable debtor is retried only every few days",
)
def unreachable_retry(params: UnreachableRetryParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny a new attempt before `retry_days` local days after the last of N consecutive failures."""
    last = _last_debtor_attempts(ctx, p.at, params.failures, params.counted_channels)
    if len(last) < params.failures or any(e.outcome in REACHED for _, e in last):
        return None
    newest_day = ctx.day_of(last[0][0])
    if local_date(p.at, ctx.day_zone) >= newest_day + timedelta(days=params.retry_days):
        return None
    nb = local_midnight_after(newest_day, params.retry_days, ctx.day_zone)
    return deny(
        not_before=nb,
        failures=params.failures,
        last_failed=newest_day.isoformat(),
        retry_days=params.retry_days,
        allowed_from=show(nb, ctx.day_zone),
    )
