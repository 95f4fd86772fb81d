"""Cadences against the contact policy: a treatment the rules can never satisfy is refused on load.

For every jurisdiction the file declares and every product a path may take, the installed compliance
rule sets (compliance/rulesets, chosen by its selection table for in-house collection) are read for the
limits a plan can break by construction: the permitted hours, connected calls and dials per day, calls
within consecutive days. Breaking one with every planned day is an error ("can never be satisfied");
a cadence the policy will refuse only on some days (a cool-down after a conversation, the retry
interval of an unreachable debtor) is a warning. Each contact is still judged by the compliance engine
when the queue hands it out: this check only keeps impossible plans out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from arrears.compliance import rulesets
from arrears.compliance.model import ContactChannel, Party
from arrears.compliance.rulebase import Rule
from arrears.compliance.zones import hhmm, parse_hhmm
from arrears.core.errors import InputRejected, NotFound
from arrears.strategy.model import Action, Channel, Path, PromiseCadence, Step, Strategy, Window
from arrears.strategy.treatments import PRODUCTS
from arrears.strategy.yamlfile import Problems

CONTACT_CHANNEL = {
    Channel.CALL: ContactChannel.CALL,
    Channel.SMS: ContactChannel.SMS,
    Channel.EMAIL: ContactChannel.EMAIL,
}


@dataclass
class Limits:
    """What the layered rule sets of one jurisdiction and product allow a plan (per contact channel)."""

    where: str
    windows: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, rule id)
    connected_per_day: list[tuple[int, str]] = field(default_factory=list)  # (max, rule id), calls
    dials_per_day: list[tuple[int, str]] = field(default_factory=list)
    frequency: list[tuple[int, int, str]] = field(default_factory=list)  # (max calls, days, rule id)
    cooldown: list[tuple[int, str]] = field(default_factory=list)  # (days, rule id)
    retry: list[tuple[int, int, str]] = field(default_factory=list)  # (failures, days, rule id)


def _applies(rule: Rule, channel: ContactChannel) -> bool:
    return (rule.channels is None or channel in rule.channels) and (
        rule.parties is None or Party.DEBTOR in rule.parties
    )


def limits_for(jurisdiction: str, product: str, channel: ContactChannel) -> Limits:
    """The plan-relevant limits of the rule sets that apply to a product in a jurisdiction."""
    out = Limits(f"{jurisdiction}/{product}")
    for rs in rulesets.for_account(jurisdiction, [product], "in_house"):
        for rule in rs.rules:
            if not _applies(rule, channel):
                continue
            p, kind = rule.params, rule.type.name
            if kind == "time_window":
                start, end = parse_hhmm(p.start), parse_hhmm(p.end)  # type: ignore[attr-defined]
                if start < end:
                    out.windows.append((start, end, rule.id))
            elif kind == "daily_connected_limit":
                out.connected_per_day.append((p.max_connected, rule.id))  # type: ignore[attr-defined]
            elif kind == "daily_dial_limit":
                out.dials_per_day.append((p.max_dials, rule.id))  # type: ignore[attr-defined]
            elif kind == "call_frequency":
                out.frequency.append((p.max_calls, p.days, rule.id))  # type: ignore[attr-defined]
            elif kind == "conversation_cooldown":
                out.cooldown.append((p.days, rule.id))  # type: ignore[attr-defined]
            elif kind == "unreachable_retry":
                out.retry.append((p.failures, p.retry_days, rule.id))  # type: ignore[attr-defined]
    return out


def _allowed_window(limits: Limits) -> tuple[int, int, str] | None:
    if not limits.windows:
        return None
    start = max(w[0] for w in limits.windows)
    end = min(w[1] for w in limits.windows)
    return start, end, ", ".join(w[2] for w in limits.windows)


def _calls_within(days: int, action: Action) -> int:
    """How many calls a cadence plans within `days` consecutive days at most."""
    if action.every_days is None:
        return action.per_day
    return action.per_day * math.ceil(days / action.every_days)


def check_action(action: Action, limits: Limits, step: Step) -> tuple[list[str], list[str]]:
    """(errors, warnings) for one action against one set of limits."""
    errors: list[str] = []
    warnings: list[str] = []
    channel = CONTACT_CHANNEL.get(action.channel)
    if channel is None:
        return errors, warnings
    allowed = _allowed_window(limits)
    if allowed is not None:
        start, end, ids = allowed
        inside = max(0, min(end, action.window.end) - max(start, action.window.start))
        if inside < 60:
            errors.append(
                f"{action.channel.value} hours {action.window.label()} leave no whole hour inside the "
                f"permitted window {hhmm(start)}-{hhmm(end)} ({ids}): the cadence can never "
                "be satisfied"
            )
        elif action.window.start < start or action.window.end > end:
            warnings.append(
                f"{action.channel.value} hours {action.window.label()} reach outside the permitted "
                f"window {hhmm(start)}-{hhmm(end)} ({ids}); work is planned inside it only"
            )
    if channel is ContactChannel.CALL:
        for limit, rule_id in limits.connected_per_day + limits.dials_per_day:
            if action.per_day > limit:
                errors.append(
                    f"{action.per_day} calls a day, but {rule_id} allows at most {limit} a "
                    "day: the cadence can never be satisfied"
                )
        for most, days, rule_id in limits.frequency:
            planned = _calls_within(days, action)
            if planned > most:
                errors.append(
                    f"{planned} calls within {days} days, but {rule_id} allows at most "
                    f"{most}: the cadence can never be satisfied"
                )
        for days, rule_id in limits.cooldown:
            if action.every_days is not None and action.every_days < days:
                warnings.append(
                    f"calls every {action.every_days} day(s), but {rule_id} allows none "
                    f"within {days} days after a conversation: such calls will be refused"
                )
        if step is Step.UNREACHABLE:
            for failures, days, rule_id in limits.retry:
                if action.every_days is not None and action.every_days < days:
                    warnings.append(
                        f"an unreachable debtor is called every {action.every_days} day(s), but "
                        f"{rule_id} allows a retry only every {days} days after "
                        f"{failures} failed attempts: calls in between will be refused"
                    )
    return errors, warnings


def _promise_actions(promise: PromiseCadence) -> Iterable[tuple[str, Action]]:
    yield "promise.reminder_channel", Action(promise.reminder_channel, None, 0, 1, promise.window)
    if promise.followup_every_days is not None:
        yield (
            "promise.followup_every_days",
            Action(promise.followup_channel, promise.followup_every_days, 0, 1, promise.window),
        )


def _path_actions(path: Path) -> Iterable[tuple[str, Step, Action]]:
    for step, actions in path.steps.items():
        for j, action in enumerate(actions):
            yield f"steps.{step.value}[{j}]", step, action
    for key, action in _promise_actions(path.promise):
        yield key, Step.PROMISE, action


def check_cadences(strategy: Strategy, problems: Problems) -> None:
    """Add an error for every cadence the policy can never satisfy, a warning where it will refuse some."""
    if not strategy.jurisdictions:
        problems.warn("policy.jurisdictions", "no jurisdiction: cadences were not checked against the policy")
        return
    cache: dict[tuple[str, str, ContactChannel], Limits] = {}
    for i, path in enumerate(strategy.paths):
        products = sorted(path.match.products or PRODUCTS)
        for key, step, action in _path_actions(path):
            channel = CONTACT_CHANNEL.get(action.channel)
            if channel is None:
                continue
            where = f"paths[{i}].{key}"
            found: dict[tuple[bool, str], list[str]] = {}
            for jurisdiction in strategy.jurisdictions:
                for product in products:
                    k = (jurisdiction, product, channel)
                    if k not in cache:
                        try:
                            cache[k] = limits_for(jurisdiction, product, channel)
                        except (InputRejected, NotFound) as exc:
                            problems.add("policy.jurisdictions", jurisdiction, f"no contact policy: {exc}")
                            return
                    errors, warnings = check_action(action, cache[k], step)
                    for is_error, texts in ((True, errors), (False, warnings)):
                        for text in texts:
                            found.setdefault((is_error, text), []).append(cache[k].where)
            for (is_error, text), contexts in found.items():
                full = f"{text} [{', '.join(contexts)}]"
                if is_error:
                    problems.add(where, action.describe(), full)
                else:
                    problems.warn(where, full)


def window_inside(window: Window, allowed: tuple[int, int] | None) -> Window:
    """A cadence window narrowed to the permitted hours (unchanged when nothing is known)."""
    if allowed is None:
        return window
    start, end = max(window.start, allowed[0]), min(window.end, allowed[1])
    return Window(start, end) if end - start >= 60 else window
