"""Treatment files: versioned YAML, validated whole (file, key path, line and reason), never half-loaded.

A file names its strategy and version, the paths (which accounts, and the actions of each step), the
champion/challenger experiments, escalation and allocation. Every problem is collected; any error
rejects the whole file (the version in force stays in force). Cadences are then checked against the
contact policy (policycheck.py): a cadence the policy can never satisfy is an error, one it will
partly refuse a warning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path as FilePath
from typing import Any

from arrears.core.errors import InputRejected
from arrears.strategy.model import (
    Action,
    Allocation,
    Arm,
    Channel,
    Escalation,
    Experiment,
    Match,
    Path,
    PromiseCadence,
    Step,
    Strategy,
    TeamRule,
    Window,
)
from arrears.strategy.yamlfile import (
    Problems,
    channel_of,
    choices_of,
    each_of,
    list_of,
    mapping_of,
    read_text,
    unknown_keys,
    whole,
    window_of,
)

TREATMENTS_DIR = FilePath(__file__).resolve().parent / "treatments"
DEFAULT_FILE = TREATMENTS_DIR / "default.yaml"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")
PRODUCTS = ("credit_card", "consumer_loan", "business_receivable")
CONTACTABILITY = ("contactable", "semi_lost", "lost")
BANDS = ("A", "B", "C", "D", "E")
DEBTOR_KINDS = ("person", "company")
LANGUAGES = ("zh-CN", "en")
TOP_KEYS = {
    "name",
    "version",
    "title",
    "description",
    "policy",
    "defaults",
    "escalation",
    "allocation",
    "paths",
    "experiments",
}
PATH_KEYS = {"id", "title", "match", "steps", "promise", "gentle"}
MATCH_KEYS = {
    "buckets",
    "products",
    "contactability",
    "bands",
    "debtor_kinds",
    "key_account",
    "min_dpd",
    "max_dpd",
}
ACTION_KEYS = {"channel", "every_days", "offset_days", "per_day", "hours"}
PROMISE_KEYS = {
    "reminder_days_before",
    "reminder_channel",
    "followup_every_days",
    "followup_channel",
    "hours",
}
STEP_KEYS = {"contact", "unreachable", "lost"}
DEFAULTS_KEYS = {"hours", "steps", "promise"}
ESCALATION_KEYS = {
    "in_house_max_dpd",
    "write_off_after_dpd",
    "agencies",
    "place_key_accounts",
    "write_off_review_every_days",
    "placement_review_every_days",
}
ALLOCATION_KEYS = {"teams", "rebalance_absent_days", "collector_roles"}
TEAM_KEYS = {"team", "buckets", "products", "languages", "debtor_kinds"}
EXPERIMENT_KEYS = {"name", "path", "arms"}
ARM_KEYS = {"arm", "percent", "path"}
POLICY_KEYS = {"jurisdictions"}
DEFAULT_WINDOW = Window(9 * 60, 20 * 60)


def checksum(text: str) -> str:
    """SHA-256 of a treatment file's text (what identifies an uploaded version)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _every(raw: Any, path: str, problems: Problems) -> int | None:
    if raw == "once":
        return None
    return whole(raw, path, problems, 1, 365, 1)


def _action(raw: Any, path: str, problems: Problems, hours: Window) -> Action | None:
    if not isinstance(raw, dict):
        problems.add(path, raw, "must be a mapping such as {channel: call, every_days: 2}")
        return None
    unknown_keys(raw, ACTION_KEYS, path, problems)
    if "channel" not in raw:
        problems.add(f"{path}.channel", None, "required: call, sms, email, letter, skip_trace or review")
    channel = channel_of(raw.get("channel"), f"{path}.channel", problems, Channel.CALL)
    per_day = whole(raw.get("per_day"), f"{path}.per_day", problems, 1, 24, 1)
    if per_day > 1 and channel is not Channel.CALL:
        problems.add(f"{path}.per_day", per_day, "only calls may be planned more than once a day")
    return Action(
        channel,
        _every(raw.get("every_days"), f"{path}.every_days", problems),
        whole(raw.get("offset_days"), f"{path}.offset_days", problems, 0, 365, 0),
        per_day,
        window_of(raw.get("hours"), f"{path}.hours", problems, hours),
    )


def _actions(raw: Any, path: str, problems: Problems, hours: Window) -> tuple[Action, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        problems.add(path, raw, "must be a list of actions (possibly empty)")
        return None
    out = [_action(item, f"{path}[{i}]", problems, hours) for i, item in enumerate(raw)]
    return tuple(a for a in out if a is not None)


def _promise(raw: Any, path: str, problems: Problems, default: PromiseCadence) -> PromiseCadence:
    if raw is None:
        return default
    data = mapping_of(raw, path, problems, "reminder and follow-up of a pending promise")
    unknown_keys(data, PROMISE_KEYS, path, problems)
    followup = data.get("followup_every_days", default.followup_every_days)
    return PromiseCadence(
        whole(
            data.get("reminder_days_before"),
            f"{path}.reminder_days_before",
            problems,
            0,
            30,
            default.reminder_days_before,
        ),
        channel_of(
            data.get("reminder_channel"), f"{path}.reminder_channel", problems, default.reminder_channel
        ),
        None
        if followup in (None, "never")
        else whole(followup, f"{path}.followup_every_days", problems, 1, 30, 1),
        channel_of(
            data.get("followup_channel"), f"{path}.followup_channel", problems, default.followup_channel
        ),
        window_of(data.get("hours"), f"{path}.hours", problems, default.window),
    )


def _match(raw: Any, path: str, problems: Problems, buckets: Sequence[str]) -> Match:
    data = mapping_of(raw, path, problems, "criteria")
    unknown_keys(data, MATCH_KEYS, path, problems)
    key = data.get("key_account")
    if key is not None and not isinstance(key, bool):
        problems.add(f"{path}.key_account", key, "must be true or false")
        key = None
    low, high = (
        None if data.get(k) is None else whole(data.get(k), f"{path}.{k}", problems, 0, 10_000, 0)
        for k in ("min_dpd", "max_dpd")
    )
    if low is not None and high is not None and low > high:
        problems.add(f"{path}.max_dpd", high, "must not be below min_dpd")
    return Match(
        choices_of(data.get("buckets"), buckets, f"{path}.buckets", problems, "bucket"),
        choices_of(data.get("products"), PRODUCTS, f"{path}.products", problems, "product"),
        choices_of(data.get("contactability"), CONTACTABILITY, f"{path}.contactability", problems, "state"),
        choices_of(data.get("bands"), BANDS, f"{path}.bands", problems, "score band"),
        choices_of(data.get("debtor_kinds"), DEBTOR_KINDS, f"{path}.debtor_kinds", problems, "debtor kind"),
        key,
        low,
        high,
    )


def _title(raw: Any, path: str, problems: Problems, fallback: str) -> tuple[str, str]:
    if raw is None:
        return fallback, fallback
    if isinstance(raw, str):
        return raw, raw
    data = mapping_of(raw, path, problems, "{en: ..., zh: ...}")
    en, zh = data.get("en"), data.get("zh")
    if not isinstance(en, str) or not isinstance(zh, str) or not en.strip() or not zh.strip():
        problems.add(path, raw, "needs an English (en) and a Chinese (zh) title")
        return fallback, fallback
    return en.strip(), zh.strip()


class _Defaults:
    """The file's `defaults`: the hours, the steps a path does not configure, the promise cadence."""

    def __init__(self, raw: Any, problems: Problems) -> None:
        data = mapping_of(raw, "defaults", problems, "hours, steps, promise")
        unknown_keys(data, DEFAULTS_KEYS, "defaults", problems)
        self.window = window_of(data.get("hours"), "defaults.hours", problems, DEFAULT_WINDOW)
        steps = mapping_of(data.get("steps"), "defaults.steps", problems, "contact, unreachable, lost")
        unknown_keys(steps, STEP_KEYS, "defaults.steps", problems)
        self.steps: dict[Step, tuple[Action, ...]] = {}
        for name in STEP_KEYS:
            acts = _actions(steps.get(name), f"defaults.steps.{name}", problems, self.window)
            if acts is not None:
                self.steps[Step(name)] = acts
        self.promise = _promise(
            data.get("promise"), "defaults.promise", problems, PromiseCadence(window=self.window)
        )


def _path(
    raw: Any, where: str, problems: Problems, buckets: Sequence[str], defaults: _Defaults
) -> Path | None:
    if not isinstance(raw, dict):
        problems.add(where, raw, "must be a mapping with id, title, match, steps")
        return None
    unknown_keys(raw, PATH_KEYS, where, problems)
    path_id = raw.get("id")
    if not isinstance(path_id, str) or not NAME_RE.match(path_id):
        problems.add(f"{where}.id", path_id, "must be a lower-case id such as 'early-standard'")
        path_id = "?"
    title_en, title_zh = _title(raw.get("title"), f"{where}.title", problems, path_id)
    gentle = raw.get("gentle", False)
    if not isinstance(gentle, bool):
        problems.add(f"{where}.gentle", gentle, "must be true or false")
        gentle = False
    steps_raw = mapping_of(raw.get("steps"), f"{where}.steps", problems, "contact, unreachable, lost")
    unknown_keys(steps_raw, STEP_KEYS, f"{where}.steps", problems)
    steps: dict[Step, tuple[Action, ...]] = {}
    for name in sorted(STEP_KEYS):
        step = Step(name)
        acts = _actions(steps_raw.get(name), f"{where}.steps.{name}", problems, defaults.window)
        if acts is None:
            acts = defaults.steps.get(step)
        if acts is None:
            problems.add(
                f"{where}.steps.{name}",
                None,
                f"required: the actions of the '{name}' step (here or in defaults.steps)",
            )
            acts = ()
        steps[step] = acts
    promise = _promise(raw.get("promise"), f"{where}.promise", problems, defaults.promise)
    return Path(
        path_id,
        title_en,
        title_zh,
        _match(raw.get("match"), f"{where}.match", problems, buckets),
        steps,
        promise,
        gentle,
        problems.line(where),
    )


def _arm(raw: Any, where: str, problems: Problems, paths: set[str]) -> Arm | None:
    if not isinstance(raw, dict):
        problems.add(where, raw, "must be a mapping {arm, percent, path}")
        return None
    unknown_keys(raw, ARM_KEYS, where, problems)
    name, percent, path = raw.get("arm"), raw.get("percent"), raw.get("path")
    if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > 32:
        problems.add(f"{where}.arm", name, "must be a short lower-case name such as 'champion'")
        name = "?"
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent <= 100:
        problems.add(f"{where}.percent", percent, "must be a share above 0 and at most 100 (percent)")
        percent = 0
    if path not in paths:
        problems.add(f"{where}.path", path, f"unknown path; known: {', '.join(sorted(paths))}")
    return Arm(name, float(percent), str(path))


def _experiment(raw: Any, where: str, problems: Problems, paths: set[str]) -> Experiment | None:
    if not isinstance(raw, dict):
        problems.add(where, raw, "must be a mapping {name, path, arms}")
        return None
    unknown_keys(raw, EXPERIMENT_KEYS, where, problems)
    name, path = raw.get("name"), raw.get("path")
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.add(f"{where}.name", name, "must be a lower-case name such as 'early-sms-first'")
        name = "?"
    if path not in paths:
        problems.add(f"{where}.path", path, f"unknown path; known: {', '.join(sorted(paths))}")
    arms = each_of(
        list_of(raw.get("arms"), f"{where}.arms", problems, "arms", True),
        f"{where}.arms",
        lambda item, at: _arm(item, at, problems, paths),
    )
    if len(arms) == 1:
        problems.add(f"{where}.arms", len(arms), "an experiment needs at least two arms")
    names = [a.name for a in arms]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.add(f"{where}.arms", dup, "duplicate arm name")
    total = sum(a.percent for a in arms)
    if arms and abs(total - 100) > 1e-9:
        problems.add(f"{where}.arms", f"{total:g}%", f"the arm shares add up to {total:g}%, not 100%")
    if arms and path in paths and path not in {a.path for a in arms}:
        problems.warn(f"{where}.arms", f"no arm keeps the path '{path}' itself (there is no champion)")
    return Experiment(str(name), str(path), tuple(arms))


def _escalation(raw: Any, problems: Problems) -> Escalation:
    data = mapping_of(raw, "escalation", problems, "in_house_max_dpd, write_off_after_dpd, agencies")
    unknown_keys(data, ESCALATION_KEYS, "escalation", problems)
    d = Escalation()
    in_house = whole(
        data.get("in_house_max_dpd"), "escalation.in_house_max_dpd", problems, 1, 3650, d.in_house_max_dpd
    )
    write_off = whole(
        data.get("write_off_after_dpd"),
        "escalation.write_off_after_dpd",
        problems,
        1,
        3650,
        d.write_off_after_dpd,
    )
    if write_off <= in_house:
        problems.add("escalation.write_off_after_dpd", write_off, "must be above in_house_max_dpd")
    agencies = data.get("agencies") or []
    if not isinstance(agencies, list) or not all(isinstance(a, str) and a for a in agencies):
        problems.add(
            "escalation.agencies", agencies, "must be a list of agency codes (empty: every active agency)"
        )
        agencies = []
    place_key = data.get("place_key_accounts", False)
    if not isinstance(place_key, bool):
        problems.add("escalation.place_key_accounts", place_key, "must be true or false")
        place_key = False
    return Escalation(
        in_house,
        write_off,
        tuple(agencies),
        place_key,
        whole(
            data.get("write_off_review_every_days"),
            "escalation.write_off_review_every_days",
            problems,
            1,
            365,
            d.write_off_review_every_days,
        ),
        whole(
            data.get("placement_review_every_days"),
            "escalation.placement_review_every_days",
            problems,
            1,
            365,
            d.placement_review_every_days,
        ),
    )


def _team(raw: Any, where: str, problems: Problems, buckets: Sequence[str]) -> TeamRule | None:
    if not isinstance(raw, dict):
        problems.add(where, raw, "must be a mapping {team, buckets?, products?, languages?, debtor_kinds?}")
        return None
    unknown_keys(raw, TEAM_KEYS, where, problems)
    team = raw.get("team")
    if not isinstance(team, str) or not team.strip():
        problems.add(f"{where}.team", team, "must name a team")
        return None
    return TeamRule(
        team.strip(),
        choices_of(raw.get("buckets"), buckets, f"{where}.buckets", problems, "bucket"),
        choices_of(raw.get("products"), PRODUCTS, f"{where}.products", problems, "product"),
        choices_of(raw.get("languages"), LANGUAGES, f"{where}.languages", problems, "language"),
        choices_of(raw.get("debtor_kinds"), DEBTOR_KINDS, f"{where}.debtor_kinds", problems, "debtor kind"),
    )


def _allocation(raw: Any, problems: Problems, buckets: Sequence[str]) -> Allocation:
    data = mapping_of(raw, "allocation", problems, "teams, rebalance_absent_days")
    unknown_keys(data, ALLOCATION_KEYS, "allocation", problems)
    teams = each_of(
        list_of(data.get("teams"), "allocation.teams", problems, "team rules", False),
        "allocation.teams",
        lambda item, at: _team(item, at, problems, buckets),
    )
    roles = data.get("collector_roles", ["collector"])
    if not isinstance(roles, list) or not roles or any(r not in ("collector", "team_lead") for r in roles):
        problems.add("allocation.collector_roles", roles, "must list collector and/or team_lead")
        roles = ["collector"]
    return Allocation(
        tuple(teams),
        whole(data.get("rebalance_absent_days"), "allocation.rebalance_absent_days", problems, 1, 365, 2),
        tuple(roles),
    )


def _check_paths(paths: list[Path], problems: Problems) -> None:
    ids = [p.id for p in paths]
    for i, pid in enumerate(ids):
        if pid in ids[:i]:
            problems.add(f"paths[{i}].id", pid, "duplicate path id")
    for i, p in enumerate(paths):
        if p.match.catch_all and i < len(paths) - 1:
            problems.warn(f"paths[{i + 1}]", f"never chosen: path '{p.id}' before it takes every account")
    if paths and not paths[-1].match.catch_all:
        problems.warn("paths", "no catch-all path last: an account no path matches gets no treatment work")


def parse(text: str, file: str, buckets: Sequence[str], *, check_policy: bool = True) -> Strategy:
    """Validate a treatment file's text into a Strategy, or raise InputRejected with every problem."""
    data, problems = read_text(text, file)
    if not isinstance(data, dict):
        problems.add("", type(data).__name__, "a treatment file must be a mapping with name, version, paths")
        problems.raise_if_any()
    unknown_keys(data, TOP_KEYS, "", problems)
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.add("name", name, "must be a lower-case name such as 'default'")
    if (
        isinstance(version, bool)
        or not isinstance(version, (str, int, float))
        or not str(version).strip()
        or len(str(version)) > 24
    ):
        problems.add(
            "version", version, "required: the file's version, e.g. '2026.1' (at most 24 characters)"
        )
    policy = mapping_of(data.get("policy"), "policy", problems, "jurisdictions")
    unknown_keys(policy, POLICY_KEYS, "policy", problems)
    jurisdictions = policy.get("jurisdictions", ["CN"])
    if not isinstance(jurisdictions, list) or not all(
        isinstance(j, str) and len(j) == 2 for j in jurisdictions
    ):
        problems.add("policy.jurisdictions", jurisdictions, "must list ISO 3166 country codes such as CN")
        jurisdictions = []
    defaults = _Defaults(data.get("defaults"), problems)
    paths = each_of(
        list_of(data.get("paths"), "paths", problems, "paths", True),
        "paths",
        lambda item, at: _path(item, at, problems, buckets, defaults),
    )
    _check_paths(paths, problems)
    ids = {p.id for p in paths}
    experiments = each_of(
        list_of(data.get("experiments"), "experiments", problems, "experiments", False),
        "experiments",
        lambda item, at: _experiment(item, at, problems, ids),
    )
    for i, e in enumerate(experiments):
        if e.name in [x.name for x in experiments[:i]]:
            problems.add(f"experiments[{i}].name", e.name, "duplicate experiment name")
        if e.path in [x.path for x in experiments[:i]]:
            problems.add(f"experiments[{i}].path", e.path, "another experiment already splits this path")
    strategy = Strategy(
        str(name),
        str(version).strip(),
        str(data.get("title") or name),
        str(data.get("description") or ""),
        tuple(jurisdictions),
        tuple(paths),
        tuple(experiments),
        _escalation(data.get("escalation"), problems),
        _allocation(data.get("allocation"), problems, buckets),
    )
    problems.raise_if_any()
    if check_policy:
        from arrears.strategy.policycheck import check_cadences

        check_cadences(strategy, problems)
        problems.raise_if_any()
    return replace(strategy, warnings=tuple(problems.warnings))


def load_file(
    path: FilePath | str, buckets: Sequence[str], *, check_policy: bool = True
) -> tuple[Strategy, str]:
    """Read and validate a treatment file; the strategy and the file's text."""
    p = FilePath(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected(f"treatment file {path} cannot be read: {exc}") from None
    return parse(text, str(path), buckets, check_policy=check_policy), text
