"""The strategy's vocabulary: treatment paths, cadences, experiments, allocation and the nightly steps.

Plain dataclasses (no web or database imports). A `Strategy` is what one validated treatment file holds;
`treatments.py` builds it from YAML and refuses anything it cannot satisfy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum


class Step(StrEnum):
    """Where an account stands on its path; the order below is the precedence (first that applies)."""

    HOLD = "hold"  # the case is on hold (dispute, complaint, ...): no outbound work
    PLACED = "placed"  # placed with an agency: the agency works it
    WRITE_OFF = "write_off"  # past the write-off age: a write-off candidate, reviewed
    PLACEMENT = "placement"  # past in-house age: allocation places the case (reviewed if no agency)
    PROMISE = "promise"  # a promise to pay is pending: reminder and follow-up
    LOST = "lost"  # neither the debtor nor a consented contact reachable: skip tracing
    UNREACHABLE = "unreachable"  # semi-lost: the debtor can't be reached; retried every few days
    CONTACT = "contact"  # the ordinary cadence


#: steps a path configures (the others are fixed by escalation)
PATH_STEPS = (Step.CONTACT, Step.UNREACHABLE, Step.LOST, Step.PROMISE)
#: steps that never produce batch work
QUIET_STEPS = (Step.HOLD, Step.PLACED)


class Channel(StrEnum):
    """What one cadence action does."""

    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    SKIP_TRACE = "skip_trace"
    REVIEW = "review"


class BatchStep(StrEnum):
    """The nightly run's steps, in order."""

    AGING = "aging"
    PROMISES = "promises"
    CONTACTABILITY = "contactability"
    SCORES = "scores"
    BEST_TIME = "best_time"
    TREATMENTS = "treatments"
    ALLOCATION = "allocation"
    WORK_ITEMS = "work_items"
    REPORTS = "reports"  # the reporting summaries the dashboard reads (KPIs, rolls, recovery curves)


BATCH_ORDER: tuple[BatchStep, ...] = tuple(BatchStep)


class StepStatus(StrEnum):
    """A nightly step's state for one date."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    """A nightly run's state."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class MoveReason(StrEnum):
    """Why a case changed hands (every move is recorded with one)."""

    INITIAL = "initial"  # first team or collector (a case without a collector gets one)
    BUCKET = "bucket"  # the case's bucket now belongs to another team
    ABSENT = "absent"  # the collector is away long enough to rebalance
    INELIGIBLE = "ineligible"  # the collector left the team, went inactive, or lacks the skill
    PLACEMENT = "placement"  # placed with an agency past in-house age
    MANUAL = "manual"  # a team lead or manager reassigned it


@dataclass(frozen=True, slots=True)
class Window:
    """A local time-of-day window [start, end) in minutes after midnight."""

    start: int
    end: int

    def label(self) -> str:
        """'09:00-20:00'."""
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


@dataclass(frozen=True, slots=True)
class Action:
    """One recurring action of a step: on the step's first day (plus offset) and every `every_days` after."""

    channel: Channel
    every_days: int | None = 1  # None: once, on the first day only
    offset_days: int = 0
    per_day: int = 1  # attempts planned on a day the action is due (calls)
    window: Window = Window(9 * 60, 20 * 60)

    def due_on_day(self, days_in_step: int) -> bool:
        """Whether the action falls on the given day of the step (0 = the day the step began)."""
        n = days_in_step - self.offset_days
        if n < 0:
            return False
        if self.every_days is None:
            return n == 0
        return n % self.every_days == 0

    def describe(self) -> str:
        """'call every 2 days (1 a day, 09:00-20:00)'."""
        if self.every_days is None:
            when = "once"
        elif self.every_days == 1:
            when = "daily"
        else:
            when = f"every {self.every_days} days"
        start = f", from day {self.offset_days}" if self.offset_days else ""
        return f"{self.channel.value} {when} ({self.per_day} a day, {self.window.label()}{start})"


@dataclass(frozen=True, slots=True)
class PromiseCadence:
    """A pending promise: a reminder shortly before it falls due and a follow-up while it is pending."""

    reminder_days_before: int = 1
    reminder_channel: Channel = Channel.SMS
    followup_every_days: int | None = 1
    followup_channel: Channel = Channel.CALL
    window: Window = Window(9 * 60, 20 * 60)


@dataclass(frozen=True, slots=True)
class Match:
    """Which accounts a path takes: every given criterion must hold (None: any)."""

    buckets: frozenset[str] | None = None
    products: frozenset[str] | None = None
    contactability: frozenset[str] | None = None
    bands: frozenset[str] | None = None  # score band A..E (an unscored account matches none)
    debtor_kinds: frozenset[str] | None = None
    key_account: bool | None = None
    min_dpd: int | None = None
    max_dpd: int | None = None

    @property
    def catch_all(self) -> bool:
        """True when the match takes every account."""
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True, slots=True)
class Path:
    """A treatment path: which accounts, and the actions of each step."""

    id: str
    title_en: str
    title_zh: str
    match: Match
    steps: dict[Step, tuple[Action, ...]]
    promise: PromiseCadence
    gentle: bool = False
    line: int = 0

    def actions(self, step: Step) -> tuple[Action, ...]:
        """The actions of a step (empty when the path has none)."""
        return self.steps.get(step, ())


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm of an experiment: a share of the accounts and the path they get."""

    name: str
    percent: float
    path: str


@dataclass(frozen=True, slots=True)
class Experiment:
    """Champion/challenger: the accounts a path takes are split into arms by a stable hash."""

    name: str
    path: str
    arms: tuple[Arm, ...]

    def arm_paths(self) -> dict[str, str]:
        """arm name -> path id."""
        return {a.name: a.path for a in self.arms}


@dataclass(frozen=True, slots=True)
class TeamRule:
    """Which cases a team works (by bucket, product, language, debtor kind); order is preference."""

    team: str
    buckets: frozenset[str] | None = None
    products: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    debtor_kinds: frozenset[str] | None = None

    def takes(self, bucket: str, product: str, language: str, kind: str) -> bool:
        """Whether a case with these facts belongs to this team."""
        return (
            (self.buckets is None or bucket in self.buckets)
            and (self.products is None or product in self.products)
            and (self.languages is None or language in self.languages)
            and (self.debtor_kinds is None or kind in self.debtor_kinds)
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    """Allocation settings: teams by bucket/skill, and when an absence moves a collector's cases."""

    teams: tuple[TeamRule, ...] = ()
    rebalance_absent_days: int = 2
    collector_roles: tuple[str, ...] = ("collector",)


@dataclass(frozen=True, slots=True)
class Escalation:
    """In-house up to an age, then placement with an agency; a write-off candidate past another."""

    in_house_max_dpd: int = 90
    write_off_after_dpd: int = 180
    agencies: tuple[str, ...] = ()  # agency codes to place with (empty: every active agency)
    place_key_accounts: bool = False  # key business accounts stay in-house on their gentle path
    write_off_review_every_days: int = 30
    placement_review_every_days: int = 7  # when no agency can take a case due for placement


@dataclass(frozen=True, slots=True)
class Strategy:
    """One validated treatment file."""

    name: str
    version: str
    title: str
    description: str
    jurisdictions: tuple[str, ...]
    paths: tuple[Path, ...]
    experiments: tuple[Experiment, ...]
    escalation: Escalation
    allocation: Allocation
    warnings: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """'default@2026.1'."""
        return f"{self.name}@{self.version}"

    def path(self, path_id: str) -> Path:
        """A path by id (KeyError when unknown)."""
        for p in self.paths:
            if p.id == path_id:
                return p
        raise KeyError(path_id)

    def experiment_for(self, path_id: str) -> Experiment | None:
        """The experiment splitting a path's accounts, if any."""
        return next((e for e in self.experiments if e.path == path_id), None)

    def summary(self) -> dict[str, object]:
        """Plain dict for listings."""
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "jurisdictions": list(self.jurisdictions),
            "paths": [
                {
                    "id": p.id,
                    "title": p.title_en,
                    "gentle": p.gentle,
                    "steps": {s.value: [a.describe() for a in acts] for s, acts in p.steps.items()},
                }
                for p in self.paths
            ],
            "experiments": [
                {
                    "name": e.name,
                    "path": e.path,
                    "arms": [{"arm": a.name, "percent": a.percent, "path": a.path} for a in e.arms],
                }
                for e in self.experiments
            ],
            "escalation": {
                "in_house_max_dpd": self.escalation.in_house_max_dpd,
                "write_off_after_dpd": self.escalation.write_off_after_dpd,
                "agencies": list(self.escalation.agencies),
                "place_key_accounts": self.escalation.place_key_accounts,
            },
            "allocation": {
                "teams": [t.team for t in self.allocation.teams],
                "rebalance_absent_days": self.allocation.rebalance_absent_days,
            },
            "warnings": list(self.warnings),
        }
