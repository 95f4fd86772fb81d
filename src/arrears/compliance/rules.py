"""The rule types: who and where may be contacted, holds, declarations and content conditions.

Pure functions over the prepared facts (no web or database imports). Time rules live in rules_time.py,
counting rules in rules_counting.py; importing this module registers them all in RULE_TYPES.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from arrears.compliance import rules_counting as _counting  # noqa: F401  (registers its rule types)
from arrears.compliance import rules_time as _time  # noqa: F401  (registers its rule types)
from arrears.compliance.context import Context
from arrears.compliance.model import (
    ContactChannel,
    Content,
    Flag,
    HoldKind,
    Party,
    ProposedContact,
    Purpose,
)
from arrears.compliance.rulebase import RULE_TYPES, Finding, Params, deny, require, rule_type, show

__all__ = ["RULE_TYPES"]


def _lifted_by(flags: list[Flag]) -> datetime | None:
    """When every one of the flags will have been lifted; None if any stands indefinitely."""
    lifts = [f.lifted_at for f in flags]
    return None if any(x is None for x in lifts) else max(lifts)  # type: ignore[type-var]


class ContactStatusParams(Params):
    """Refuse contact points in a blocking status."""

    deny_statuses: tuple[str, ...] = ("invalid", "wrong_party", "do_not_contact")


@rule_type(
    "contact_status", ContactStatusParams, {"deny": ("status",)}, "The contact point's status forbids contact"
)
def contact_status(params: ContactStatusParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny a contact point that is invalid, a wrong party or do-not-contact."""
    point = ctx.points.get(p.contact_point_id) if p.contact_point_id else None
    if point is not None and point.status in params.deny_statuses:
        return deny(status=point.status)
    return None


class ContactSourceParams(Params):
    """Only contact points from these sources (no address books, no scraped numbers)."""

    allowed_sources: tuple[str, ...] = ("debtor_provided", "contract", "debtor_update")


@rule_type(
    "contact_source",
    ContactSourceParams,
    {"deny": ("source", "allowed")},
    "Only contacts the debtor provided or the contract names",
)
def contact_source(params: ContactSourceParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny a contact point whose source is not allowed."""
    point = ctx.points.get(p.contact_point_id) if p.contact_point_id else None
    if point is not None and point.source not in params.allowed_sources:
        return deny(source=point.source, allowed=", ".join(params.allowed_sources))
    return None


class RefusalParams(Params):
    """A person who refused further contact is never contacted again at that point."""


@rule_type(
    "refusal_dnc",
    RefusalParams,
    {"deny": ("refused_on",)},
    "The person at this contact point refused further contact",
)
def refusal_dnc(params: RefusalParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny for good once a refusal is on record for the contact point."""
    if p.contact_point_id is None:
        return None
    when = ctx.refused_at(p.contact_point_id, p.at)
    return deny(refused_on=show(when)) if when is not None else None


class Allowance(Params):
    """What a hold still allows: a proposal matching every given key."""

    channels: tuple[ContactChannel, ...] | None = None
    parties: tuple[Party, ...] | None = None
    relationships: tuple[str, ...] | None = None
    purposes: tuple[Purpose, ...] | None = None

    def matches(self, ctx: Context, p: ProposedContact) -> bool:
        """True when the proposal matches every key given."""
        point = ctx.points.get(p.contact_point_id) if p.contact_point_id else None
        return (
            (self.channels is None or p.channel in self.channels)
            and (self.parties is None or p.party in self.parties)
            and (
                self.relationships is None or (point is not None and point.relationship in self.relationships)
            )
            and (self.purposes is None or (p.purpose is not None and p.purpose in self.purposes))
        )


class HoldParams(Params):
    """A hold of one kind stops outbound contact, except what `allow` lists."""

    kind: HoldKind
    allow: tuple[Allowance, ...] = ()


@rule_type(
    "hold", HoldParams, {"deny": ("kind", "set_by", "set_at", "reason")}, "A hold on the debtor stops contact"
)
def hold(params: HoldParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny while a hold of the kind is active, unless an exception matches; allowed again once lifted."""
    active = ctx.active(params.kind, p.at)
    if not active or any(a.matches(ctx, p) for a in params.allow):
        return None
    first = active[0]
    return deny(
        not_before=_lifted_by(active),
        kind=params.kind.value,
        set_by=first.set_by,
        set_at=show(first.set_at),
        reason=first.reason or "-",
    )


class PlaceParams(Params):
    """Honour places declared inconvenient (or forbidden by the employer)."""

    flag: HoldKind = HoldKind.INCONVENIENT_PLACE
    places: tuple[str, ...] | None = None  # None: the places listed in the flag's detail


@rule_type(
    "declared_places",
    PlaceParams,
    {"deny": ("place", "set_by", "set_at")},
    "Contact at a place the debtor declared inconvenient or the employer forbids",
)
def declared_places(params: PlaceParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny contact at a contact point whose place is declared off limits."""
    point = ctx.points.get(p.contact_point_id) if p.contact_point_id else None
    if point is None or point.place is None:
        return None
    hits = [
        f
        for f in ctx.active(params.flag, p.at)
        if point.place in (params.places or f.detail.get("places", ()))
    ]
    if not hits:
        return None
    return deny(
        not_before=_lifted_by(hits), place=point.place, set_by=hits[0].set_by, set_at=show(hits[0].set_at)
    )


class ChannelParams(Params):
    """Honour channels the debtor asked not to be used (or opted out of)."""

    flag: HoldKind = HoldKind.CHANNEL_RESTRICTION


@rule_type(
    "declared_channels",
    ChannelParams,
    {"deny": ("channel", "set_by", "set_at")},
    "A channel the person asked not to be used",
)
def declared_channels(params: ChannelParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny a channel named by an active flag (for every point, or the flag's contact point)."""
    hits = [
        f
        for f in ctx.active(params.flag, p.at)
        if p.channel.value in f.detail.get("channels", ())
        and (f.contact_point_id is None or f.contact_point_id == p.contact_point_id)
    ]
    if not hits:
        return None
    return deny(
        not_before=_lifted_by(hits),
        channel=p.channel.value,
        set_by=hits[0].set_by,
        set_at=show(hits[0].set_at),
    )


class VoicemailParams(Params):
    """A voicemail must be a limited-content message."""


@rule_type(
    "voicemail_limited_content",
    VoicemailParams,
    {"deny": (), "require": ()},
    "Voicemail only as a limited-content message",
)
def voicemail_limited_content(params: VoicemailParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny a full-content voicemail; otherwise require limited content."""
    if p.channel is not ContactChannel.VOICEMAIL:
        return None
    if p.content is Content.FULL:
        return deny()
    return require("limited_content_only")


class OptOutNoticeParams(Params):
    """Every e-mail and text message carries a clear opt-out notice."""

    channels: tuple[ContactChannel, ...] = Field((ContactChannel.EMAIL, ContactChannel.SMS), min_length=1)


@rule_type(
    "electronic_opt_out",
    OptOutNoticeParams,
    {"deny": ("channel",), "require": ("channel",)},
    "An opt-out notice on every e-mail and text message",
)
def electronic_opt_out(params: OptOutNoticeParams, ctx: Context, p: ProposedContact) -> Finding | None:
    """Deny an electronic message known to lack the opt-out notice; otherwise require it."""
    if p.channel not in params.channels:
        return None
    if p.includes_opt_out is False:
        return deny(channel=p.channel.value)
    return require("opt_out_notice", channel=p.channel.value)
