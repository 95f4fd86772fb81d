"""The simulation run: a seeded demo portfolio in a throw-away SQLite file, driven day by day through the real
nightly run, work queue, attempt recording and payment posting on a fixed clock that the simulator moves.

What the simulator does itself (and why): it assigns the cases to its arms' teams and collectors instead of
the nightly allocation step (the arms must keep their own populations and collectors for a fair comparison),
and, for a baseline arm, it re-ranks that arm's open call work after each nightly run (stored priority =
days past due or balance, and no expected recovery, so the queue orders by the baseline's rule).
Everything else is the product's code path: `run_nightly` (aging, promises judged, contactability,
scores, best time, treatments, work items), `next_contact` + `record_attempt` for every dial (contact
policy judged at the moment of asking and at the attempt's start), `post_payment` for every payment.
"""

from __future__ import annotations

import random
import time as wall
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, bindparam, event, func, select, update

from arrears import migrate
from arrears.core.access import SYSTEM, Principal, Role
from arrears.core.clock import FixedClock
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.core.progress import Progress, no_progress
from arrears.db import make_engine
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.sim import model
from arrears.sim.config import Ordering, SimConfig
from arrears.strategy.model import BatchStep

#: the nightly steps the simulator runs each simulated night: all but allocation (the arms keep their own
#: collectors) and the reporting refresh (done once over the whole run by report.build)
NIGHTLY_STEPS = [s for s in BatchStep if s not in (BatchStep.ALLOCATION, BatchStep.REPORTS)]
PAY_CHANNEL = "bank_transfer"
PROMISE_AUTHORITY_MINOR = 100_000_000  # the sim's collectors may take any promise without approval


@dataclass
class ArmSetup:
    """One arm in the simulated database: its team, collectors and debtors."""

    name: str
    ordering: Ordering
    team_id: int
    collectors: list[Principal]
    debtors: set[int] = field(default_factory=set)


@dataclass
class Account:
    """What the simulator tracks of an account (the database stays the truth)."""

    id: int
    external_id: str
    currency: str
    balance_minor: int
    dpd: int


@dataclass
class Tally:
    """Counts the simulator keeps beside the database."""

    attempts: int = 0
    refused: int = 0  # attempts the contact policy refused at their start (409): should be 0
    refused_by_team: dict[int, int] = field(default_factory=dict)
    rejected: int = 0  # attempts refused for their content (e.g. a promise on an account out of reach)
    idle_asks: int = 0  # `next` answered nothing allowed / queue empty
    promises: int = 0
    payments: int = 0
    payments_refused: int = 0
    collected_minor: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class SimRun:
    """A finished simulation: where its database is and what it did."""

    config: SimConfig
    runtime: Runtime
    arms: list[ArmSetup]
    first_day: date
    last_day: date
    tally: Tally
    seconds: float
    timings: dict[str, float]


def at_local(day: date, hhmm: str | time, zone: ZoneInfo) -> datetime:
    """A local wall-clock moment on a day, as aware UTC."""
    t = hhmm if isinstance(hhmm, time) else time.fromisoformat(hhmm)
    return datetime.combine(day, t, tzinfo=zone).astimezone(UTC)


def _fast_sqlite(engine: Engine) -> None:
    """The throw-away simulation file needs no durability: skip fsync (set after make_engine's pragmas)."""

    def pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.close()

    event.listen(engine, "connect", pragmas)


def build_runtime(config: SimConfig, workdir: Path) -> Runtime:
    """A fresh, migrated SQLite database under workdir with a fixed clock at the first day's midnight."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "arrears.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = Settings(
        database_url="",
        var_dir=workdir,
        environment="development",
        default_timezone=config.timezone,
        clock="system",
    )
    engine = make_engine(settings)
    _fast_sqlite(engine)
    migrate.upgrade(engine)
    clock = FixedClock(at_local(config.start, "00:05", ZoneInfo(config.timezone)))
    return Runtime(settings=settings, engine=engine, clock=clock)


class Simulation:
    """One run of a configuration; `run()` does it all."""

    def __init__(
        self,
        config: SimConfig,
        workdir: Path,
        progress: Progress = no_progress,
        runtime: Runtime | None = None,
    ) -> None:
        self.config = config
        self.given = runtime
        self.cal = config.behaviour
        self.zone = ZoneInfo(config.timezone)
        self.workdir = workdir
        self.progress = progress
        self.rng = random.Random(config.seed)
        self.population = model.Population(config.seed, self.cal)
        self.tally = Tally()
        self.timings: dict[str, float] = defaultdict(float)
        self.accounts: dict[int, list[Account]] = {}
        self.recent: dict[int, list[datetime]] = defaultdict(list)
        self.payments_due: dict[date, list[tuple[int, int]]] = defaultdict(list)  # day -> (debtor, amount)
        self.broken_due: dict[date, list[int]] = defaultdict(list)
        self.arms: list[ArmSetup] = []
        self._earliest: datetime | None = None  # when the queue said a contact becomes allowed
        self.rt: Runtime

    # --- set-up -----

    def setup(self) -> None:
        """Database, portfolio, teams, collectors, case assignment."""
        from arrears.portfolio.demo.service import load_demo

        t0 = wall.perf_counter()
        self.rt = self.given if self.given is not None else build_runtime(self.config, self.workdir)
        self.clock.set(at_local(self.config.start, "00:05", self.zone))
        load_demo(
            self.rt,
            debtors=self.config.debtors,
            seed=self.config.seed,
            as_of=self.config.start - timedelta(days=1),
        )
        self._people()
        self._assign()
        self._load_accounts()
        self.timings["setup"] += wall.perf_counter() - t0

    @property
    def clock(self) -> FixedClock:
        """The simulation's clock."""
        clock = self.rt.clock
        assert isinstance(clock, FixedClock)
        return clock

    def _people(self) -> None:
        from arrears.users import service as users

        for arm in self.config.arms:
            team = users.create_team(self.rt, SYSTEM, f"Sim {arm.name}")
            people = []
            for i in range(1, self.config.collectors_per_arm + 1):
                u = users.create_user(
                    self.rt,
                    SYSTEM,
                    username=f"sim.{arm.name}.{i}".lower().replace("_", "-"),
                    role=Role.COLLECTOR,
                    display_name=f"Sim {arm.name} #{i}",
                    team_id=team.id,
                    capacity=100_000,
                    promise_authority_minor=PROMISE_AUTHORITY_MINOR,
                )
                people.append(
                    Principal(
                        user_id=u.id,
                        username=u.username,
                        role=Role.COLLECTOR,
                        team_id=team.id,
                        display_name=u.display_name,
                    )
                )
            self.arms.append(ArmSetup(arm.name, arm.ordering, team.id, people))

    def _assign(self) -> None:
        """Split the debtors between the arms (seeded shuffle), cases round-robin to each arm's collectors."""
        with self.rt.engine.begin() as conn:
            ids = sorted({int(r[0]) for r in conn.execute(select(cases.c.debtor_id))})
            self.rng.shuffle(ids)
            rows = []
            for n, debtor_id in enumerate(ids):
                arm = self.arms[n % len(self.arms)]
                arm.debtors.add(debtor_id)
                who = arm.collectors[(n // len(self.arms)) % len(arm.collectors)]
                rows.append({"d": debtor_id, "t": arm.team_id, "c": who.user_id})
            if rows:
                conn.execute(
                    update(cases)
                    .where(cases.c.debtor_id == bindparam("d"))
                    .values(team_id=bindparam("t"), collector_id=bindparam("c")),
                    rows,
                )

    def _load_accounts(self) -> None:
        balance = (
            accounts.c.principal_minor
            + accounts.c.interest_minor
            + accounts.c.fees_minor
            + accounts.c.penalty_minor
            - accounts.c.credit_minor
        )
        with self.rt.engine.connect() as conn:
            rows = conn.execute(
                select(
                    accounts.c.id,
                    accounts.c.debtor_id,
                    accounts.c.external_id,
                    accounts.c.currency,
                    balance.label("bal"),
                    accounts.c.dpd,
                ).where(accounts.c.case_id.is_not(None), accounts.c.dpd > 0)
            )
            self.accounts = defaultdict(list)
            for r in rows:
                self.accounts[int(r.debtor_id)].append(
                    Account(int(r.id), r.external_id, r.currency, max(0, int(r.bal or 0)), int(r.dpd or 0))
                )

    def balance(self, debtor_id: int) -> int:
        """What the simulator believes the debtor owes on the accounts in collection (minor units)."""
        return sum(a.balance_minor for a in self.accounts.get(debtor_id, []))

    def dpd(self, debtor_id: int) -> int:
        """Days past due of the debtor's oldest arrears, as loaded."""
        return max((a.dpd for a in self.accounts.get(debtor_id, [])), default=0)

    def main_account(self, debtor_id: int) -> Account | None:
        """The debtor's account with the largest balance."""
        found = [a for a in self.accounts.get(debtor_id, []) if a.balance_minor > 0]
        return max(found, key=lambda a: (a.balance_minor, -a.id)) if found else None

    # --- the run ---

    def run(self) -> SimRun:
        """Set up, simulate every day, and hand back the run."""
        started = wall.perf_counter()
        self.setup()
        days = [self.config.start + timedelta(days=i) for i in range(self.config.days)]
        for n, day in enumerate(days):
            self.progress(n, len(days), f"{day.isoformat()}: {self.tally.attempts:,} attempts")
            self.day(day)
        self.progress(len(days), len(days), "done")
        return SimRun(
            self.config,
            self.rt,
            self.arms,
            days[0],
            days[-1],
            self.tally,
            round(wall.perf_counter() - started, 3),
            dict(self.timings),
        )

    def day(self, day: date) -> None:
        """One simulated day: the night before, the collectors' shift, the day's payments."""
        from arrears.strategy.jobs import run_nightly

        t0 = wall.perf_counter()
        self.clock.set(at_local(day, "00:05", self.zone))
        summary = run_nightly(self.rt, SYSTEM, day - timedelta(days=1), steps=NIGHTLY_STEPS)
        if summary.status != "completed":
            self.tally.errors.append(
                f"{day}: nightly run {summary.status}: "
                + "; ".join(s.error or "" for s in summary.steps if s.error)
            )
        self._rerank(day)
        self._judge_behaviour(day)
        self.timings["nightly"] += wall.perf_counter() - t0
        t0 = wall.perf_counter()
        if day.weekday() in self.config.shift.weekdays:
            self.shift(day)
        self.timings["calls"] += wall.perf_counter() - t0
        t0 = wall.perf_counter()
        self.pay(day)
        self.timings["payments"] += wall.perf_counter() - t0

    def _rerank(self, day: date) -> None:
        """Baseline arms: rank their open call work by their simple rule."""
        from arrears.worklist.store import work_items

        baselines = [a for a in self.arms if a.ordering is not Ordering.DEFAULT]
        if not baselines:
            return
        with self.rt.engine.begin() as conn:
            for arm in baselines:
                rows = conn.execute(
                    select(work_items.c.id, work_items.c.debtor_id).where(
                        and_(
                            work_items.c.team_id == arm.team_id,
                            work_items.c.status == "open",
                            work_items.c.kind == "call",
                        )
                    )
                )
                values = []
                for r in rows:
                    accs = self.accounts.get(int(r.debtor_id), [])
                    if arm.ordering is Ordering.OLDEST_FIRST:
                        rank = float(max((a.dpd for a in accs), default=0))
                    else:
                        rank = float(sum(a.balance_minor for a in accs)) / 100.0
                    values.append({"i": int(r.id), "p": rank})
                if values:
                    conn.execute(
                        update(work_items)
                        .where(work_items.c.id == bindparam("i"))
                        .values(priority=bindparam("p"), expected_recovery_minor=0),
                        values,
                    )

    def _judge_behaviour(self, day: date) -> None:
        """Promises the debtor meant to break are broken today: the debtor's behaviour changes."""
        for debtor_id in self.broken_due.pop(day - timedelta(days=1), []):
            t = self.population.traits.get(debtor_id)
            if t is not None:
                model.broke_promise(t, self.cal)
        for debtor_id in self.accounts:
            t = self.population.debtor(debtor_id, self.balance(debtor_id), self.dpd(debtor_id))
            if self.balance(debtor_id) > 0 and model.pays_unprompted(
                random.Random(f"{self.config.seed}:s:{debtor_id}:{day}"), t, day, self.cal
            ):
                self.payments_due[day].append((debtor_id, min(t.capacity_minor, self.balance(debtor_id))))

    # --- collectors -----

    def shift(self, day: date) -> None:
        """Every collector works the shift: ask for the next contact, dial, record; in time order."""
        s = self.config.shift
        begin, end = at_local(day, s.start, self.zone), at_local(day, s.end, self.zone)
        slot = timedelta(seconds=0.65 * (end - begin).total_seconds() / s.attempts_per_day)
        cursors = {p.user_id: begin for arm in self.arms for p in arm.collectors}
        done = dict.fromkeys(cursors, 0)
        people = {p.user_id: p for arm in self.arms for p in arm.collectors}
        while cursors:
            uid = min(cursors, key=lambda k: (cursors[k], k))
            now = cursors[uid]
            if now >= end or done[uid] >= s.attempts_per_day:
                del cursors[uid]
                continue
            took = self.dial(people[uid], now)
            if took is None:
                cursors[uid] = self._idle_until(now, end)
                continue
            done[uid] += 1
            cursors[uid] = now + max(took + timedelta(seconds=self.cal.wrap_seconds), slot)

    def _idle_until(self, now: datetime, end: datetime) -> datetime:
        self.tally.idle_asks += 1
        wake = self._earliest or now + timedelta(minutes=30)
        return min(max(wake, now + timedelta(minutes=2)), now + timedelta(minutes=30), end)

    def dial(self, who: Principal, now: datetime) -> timedelta | None:
        """One attempt: `next`, the debtor's reaction, `record_attempt`. None when nothing was leased."""
        from arrears.worklist.attempts import record_attempt
        from arrears.worklist.model import AttemptReport, PromiseTerms
        from arrears.worklist.service import next_contact, release

        self.clock.set(now)
        t0 = wall.perf_counter()
        ans = next_contact(self.rt, who)
        self.timings["next_contact"] += wall.perf_counter() - t0
        if ans.get("status") != "leased":
            nxt = ans.get("earliest_allowed") or ans.get("next_due_at")
            self._earliest = datetime.fromisoformat(nxt) if nxt else None
            return None
        debtor_id = int(ans["debtor"]["id"])
        point = ans["contact_point"]
        balance = self.balance(debtor_id)
        traits = self.population.debtor(debtor_id, balance, self.dpd(debtor_id))
        recent = [t for t in self.recent[debtor_id] if t > now - timedelta(days=3)]
        self.recent[debtor_id] = recent + [now]
        local = now.astimezone(ZoneInfo(ans["debtor"].get("timezone") or self.config.timezone))
        rng = random.Random(f"{self.config.seed}:c:{debtor_id}:{now.isoformat()}")
        result = model.call(
            rng,
            traits,
            self.population.point(int(point["id"])),
            point["party"] == "debtor",
            local,
            len(recent),
            balance,
            self.cal,
        )
        ended = now + timedelta(seconds=result.seconds)
        promise = None
        account = self.main_account(debtor_id)
        if result.promise is not None and account is not None:
            amount = min(result.promise.amount_minor, account.balance_minor)
            promise = PromiseTerms(
                amount=Money.from_minor(amount, account.currency),
                due_on=result.promise.due_on,
                channel=PAY_CHANNEL,
                account_id=account.id,
            )
        outcome = result.outcome
        if result.promise is not None and promise is None:
            from arrears.worklist.model import CallOutcome

            outcome = CallOutcome.RIGHT_PARTY_REACHED
        report = AttemptReport(
            debtor_id=debtor_id,
            outcome=outcome,
            started_at=now,
            ended_at=ended,
            contact_point_id=int(point["id"]),
            work_item_id=int(ans["work_item"]["id"]),
            flags=result.flags,
            promise=promise,
            callback_at=ended + result.callback_after if result.callback_after else None,
        )
        self.clock.set(ended)
        t0 = wall.perf_counter()
        try:
            record_attempt(self.rt, who, report)
        except ArrearsError as exc:
            if getattr(exc, "status_code", 0) == 409:
                self.tally.refused += 1
                team = who.team_id or 0
                self.tally.refused_by_team[team] = self.tally.refused_by_team.get(team, 0) + 1
            else:
                self.tally.rejected += 1
            if len(self.tally.errors) < 20:
                self.tally.errors.append(f"{now.isoformat()} debtor {debtor_id} {outcome.value}: {exc}")
            try:
                release(self.rt, who, int(ans["lease"]["id"]))
            except ArrearsError:
                pass
            return ended - now
        finally:
            self.timings["record_attempt"] += wall.perf_counter() - t0
        self.tally.attempts += 1
        if promise is not None and result.promise is not None:
            self.tally.promises += 1
            if result.promise.keep and result.promise.pay_on is not None:
                self.payments_due[result.promise.pay_on].append((debtor_id, promise.amount.minor))
            else:
                self.broken_due[result.promise.due_on].append(debtor_id)
        return ended - now

    # --- money -----

    def pay(self, day: date) -> None:
        """Post the day's payments through the payments service at the end of the business day."""
        from arrears.payments.service import post_payment

        self.clock.set(at_local(day, "20:00", self.zone))
        for n, (debtor_id, amount) in enumerate(self.payments_due.pop(day, [])):
            account = self.main_account(debtor_id)
            if account is None:
                continue
            amount = min(amount, account.balance_minor)
            if amount <= 0:
                continue
            try:
                post_payment(
                    self.rt,
                    SYSTEM,
                    account_external_id=account.external_id,
                    reference=f"SIM-{day:%Y%m%d}-{debtor_id}-{n}",
                    amount=Money.from_minor(amount, account.currency),
                    paid_on=day,
                    channel=PAY_CHANNEL,
                )
            except ArrearsError as exc:
                self.tally.payments_refused += 1
                if len(self.tally.errors) < 20:
                    self.tally.errors.append(f"payment {day} debtor {debtor_id}: {exc}")
                continue
            account.balance_minor -= amount
            self.tally.payments += 1
            self.tally.collected_minor += amount


def run(
    config: SimConfig, workdir: Path, progress: Progress = no_progress, runtime: Runtime | None = None
) -> SimRun:
    """Run a simulation in workdir (its SQLite file is replaced), or on a given empty, migrated database."""
    return Simulation(config, workdir, progress, runtime).run()


def violations(rt: Runtime) -> dict[str, int]:
    """Attempts stored as policy violations, per collector team (expected: none)."""
    from arrears.compliance.store import contact_attempts
    from arrears.users.store import users

    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(users.c.team_id, func.count())
            .select_from(contact_attempts.join(users, users.c.id == contact_attempts.c.collector_id))
            .where(contact_attempts.c.violation.is_(True))
            .group_by(users.c.team_id)
        )
        return {str(r[0]): int(r[1]) for r in rows}


def plain_counts(run: SimRun) -> dict[str, Any]:
    """The simulator's own tallies as plain data."""
    t = run.tally
    return {
        "attempts": t.attempts,
        "refused": t.refused,
        "rejected": t.rejected,
        "idle_asks": t.idle_asks,
        "promises": t.promises,
        "payments": t.payments,
        "payments_refused": t.payments_refused,
        "collected_minor": t.collected_minor,
        "errors": t.errors[:20],
    }
