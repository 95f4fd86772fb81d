"""Contactability (可联 / 半失联 / 失联): whether a debtor can be reached, kept on `debtors.contactability`.

The rule (one definition, two implementations that tests hold equal: `classify` in plain Python for one
debtor, and the set-based SQL of `refresh_all` for the whole portfolio):

1. Only **phone** points count (this is phone collections; an e-mail or a postal address does not
   reach a person in a conversation).
2. A point is **usable** when its status is ``valid`` or ``unverified`` (never ``invalid``,
   ``wrong_party`` or ``do_not_contact``).
3. Who owns it: **debtor-owned** when the relationship is ``self`` or, for a company, one of its
   roles (payables, finance, owner, other_role: people with authority to pay); a **consented contact**
   when it is anyone else (spouse, parent, relative, employer, colleague, friend) whose consent is
   ``debtor_gave`` or ``contract_names``; anything else is never counted.
4. The point's attempts in the last ``window_days`` (30) are read newest first (ties by attempt id);
   each outcome is a *success* (a person answered: connected_rpc, connected_third_party, visited),
   a *hard failure* (invalid_number, wrong_number, bounced, refused), a *soft failure* (no_answer,
   busy, network_error, voicemail, not_home) or *neutral* (sent, delivered and any outcome this
   module does not know, e.g. ones added later: they are skipped, so they never decide anything).
   The newest success or hard failure is the point's **last stop**. The point is **exhausted** when
   the last stop is a hard failure, or when after the last stop (or in the whole window if none) there
   are at least ``max_failures`` (5) soft failures spread over at least ``min_failure_days`` (3)
   distinct UTC days (so five calls in one afternoon do not make a number dead).
5. **contactable** when a usable, not exhausted, debtor-owned point exists; otherwise **semi_lost**
   when a usable, not exhausted, consented-contact point exists; otherwise **lost** (needs skip tracing).

The window is the rule's memory: a point exhausted by soft failures gets another chance once they age
out; a permanently bad number is expected to carry status ``invalid`` (the work queue sets it).
Attempts without a contact point (e.g. an inbound call) are not attributed to any point and ignored.
`debtors.contactability_at` is the moment the current state was set (it moves only on a change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import TextClause, bindparam, func, select, text
from sqlalchemy.engine import Connection

from arrears.compliance.store import contact_attempts
from arrears.core.access import Permission, Principal, require
from arrears.core.clock import require_aware, today
from arrears.core.errors import NotFound
from arrears.core.progress import Progress, no_progress
from arrears.core.tables import UtcDateTime
from arrears.portfolio.store import contact_points, debtors
from arrears.runtime import Runtime
from arrears.strategy.scoring.store import batch_settings, get_mark, set_mark


class Contactability(StrEnum):
    """Whether a debtor can be reached."""

    CONTACTABLE = "contactable"  # 可联
    SEMI_LOST = "semi_lost"  # 半失联: only consented contacts can be reached
    LOST = "lost"  # 失联: needs skip tracing


LABELS = {Contactability.CONTACTABLE: "Contactable", Contactability.SEMI_LOST: "Semi-lost",
          Contactability.LOST: "Lost"}  # zh-CN in strategy_scoring.po: 可联, 半失联, 失联


def label(state: str, language: str = "en") -> str:
    """A state's name for people, in English or zh-CN."""
    from arrears.core.i18n import gettext

    english = next((text for s, text in LABELS.items() if s.value == state), state)
    return english if language == "en" else gettext(language, english)


class Owner(StrEnum):
    """Whose a contact point is, as far as contactability cares."""

    DEBTOR = "debtor"
    CONSENTED_CONTACT = "consented_contact"
    OTHER = "other"  # never counted


DEBTOR_RELATIONSHIPS = frozenset({"self", "payables", "finance", "owner", "other_role"})
THIRD_PARTY_CONSENTS = frozenset({"debtor_gave", "contract_names"})
USABLE_STATUSES = frozenset({"valid", "unverified"})
REACH_CHANNELS = frozenset({"phone"})
SUCCESS = frozenset({"connected_rpc", "connected_third_party", "visited"})
HARD_FAILURE = frozenset({"invalid_number", "wrong_number", "bounced", "refused"})
SOFT_FAILURE = frozenset({"no_answer", "busy", "network_error", "voicemail", "not_home"})


@dataclass(frozen=True, slots=True)
class Policy:
    """The rule's parameters."""

    window_days: int = 30
    max_failures: int = 5
    min_failure_days: int = 3


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class PointFacts:
    """One contact point as the rule sees it."""

    id: int
    owner: Owner
    status: str = "valid"
    channel: str = "phone"


@dataclass(frozen=True, slots=True)
class AttemptFact:
    """One attempt on a point: when (aware) and its outcome; `id` breaks ties between equal times."""

    at: datetime
    outcome: str
    id: int = 0


def owner_of(relationship: str, consent: str) -> Owner:
    """Debtor-owned, a consented contact, or neither, from the point's relationship and consent."""
    if relationship in DEBTOR_RELATIONSHIPS:
        return Owner.DEBTOR
    if consent in THIRD_PARTY_CONSENTS:
        return Owner.CONSENTED_CONTACT
    return Owner.OTHER


def outcome_class(outcome: str) -> str:
    """'S' success, 'H' hard failure, 'F' soft failure, 'N' neutral (unknown outcomes are neutral)."""
    if outcome in SUCCESS:
        return "S"
    if outcome in HARD_FAILURE:
        return "H"
    if outcome in SOFT_FAILURE:
        return "F"
    return "N"


def exhausted(attempts: Iterable[AttemptFact], policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether a point's in-window attempts exhaust it (see the module rule, step 4)."""
    fails = 0
    fail_days: set[date] = set()
    for attempt in sorted(attempts, key=lambda a: (a.at, a.id), reverse=True):
        cls = outcome_class(attempt.outcome)
        if cls == "H":
            return True
        if cls == "S":
            break
        if cls == "F":
            fails += 1
            fail_days.add(_utc_date(attempt.at))
    return fails >= policy.max_failures and len(fail_days) >= policy.min_failure_days


def _utc_date(moment: datetime) -> date:
    require_aware(moment, "attempt time")
    return (moment - (moment.utcoffset() or timedelta(0))).date()


def classify(points: Iterable[PointFacts], recent_outcomes: Mapping[int, Sequence[AttemptFact]],
             policy: Policy = DEFAULT_POLICY) -> Contactability:
    """Classify one debtor from its points and each point's attempts inside the policy window."""
    debtor_reachable = contact_reachable = False
    for point in points:
        if point.channel not in REACH_CHANNELS or point.status not in USABLE_STATUSES:
            continue
        if point.owner is Owner.OTHER:
            continue
        if exhausted(recent_outcomes.get(point.id, ()), policy):
            continue
        if point.owner is Owner.DEBTOR:
            debtor_reachable = True
        else:
            contact_reachable = True
    if debtor_reachable:
        return Contactability.CONTACTABLE
    if contact_reachable:
        return Contactability.SEMI_LOST
    return Contactability.LOST


# --- persistence -----------------------------------------------------------------------------------------

def _in(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


# Built from the module constants above only (no input reaches the text).
_LEVEL_SQL = f"""
with {{scope_cte}}
att as (
    select a.id, a.contact_point_id as pid, a.started_at,
           case when a.outcome in ({_in(SUCCESS)}) then 'S'
                when a.outcome in ({_in(HARD_FAILURE)}) then 'H'
                when a.outcome in ({_in(SOFT_FAILURE)}) then 'F'
                else 'N' end as cls
    from contact_attempts a
    where a.debtor_id {{in_scope}} and a.contact_point_id is not null
      and a.started_at >= :since and a.started_at <= :now
),
ranked as (
    select pid, cls, started_at,
           row_number() over (partition by pid order by started_at desc, id desc) as rn
    from att where cls <> 'N'
),
marked as (
    select pid, cls, started_at, rn,
           min(case when cls in ('S', 'H') then rn end) over (partition by pid) as srn
    from ranked
),
pstate as (
    select pid,
           max(case when rn = srn and cls = 'H' then 1 else 0 end) as hard,
           sum(case when cls = 'F' and (srn is null or rn < srn) then 1 else 0 end) as fails,
           count(distinct case when cls = 'F' and (srn is null or rn < srn) then {{day}} end) as fail_days
    from marked
    group by pid
),
dstate as (
    select cp.debtor_id,
           max(case when cp.channel in ({_in(REACH_CHANNELS)}) and cp.status in ({_in(USABLE_STATUSES)})
                     and coalesce(p.hard, 0) = 0
                     and not (coalesce(p.fails, 0) >= :max_failures
                              and coalesce(p.fail_days, 0) >= :min_days)
                    then case when cp.relationship in ({_in(DEBTOR_RELATIONSHIPS)}) then 2
                              when cp.consent in ({_in(THIRD_PARTY_CONSENTS)}) then 1
                              else 0 end
                    else 0 end) as lvl
    from contact_points cp left join pstate p on p.pid = cp.id
    where cp.debtor_id {{in_scope}}
    group by cp.debtor_id
),
newstate as (
    select d.id as debtor_id,
           case coalesce(s.lvl, 0) when 2 then 'contactable' when 1 then 'semi_lost' else 'lost' end
               as state
    from debtors d left join dstate s on s.debtor_id = d.id
    where d.id {{in_scope}}
)
"""  # noqa: S608

# The debtors whose state may have moved since the watermark :w (see refresh_all).
_AFFECTED = """affected as (
    select debtor_id from contact_attempts
    where (created_at > :w and created_at <= :now) or (started_at >= :w_since and started_at < :since)
    union select debtor_id from contact_points where updated_at > :w or created_at > :w
    union select id from debtors where updated_at > :w or created_at > :w
),"""
_COUNT_AFFECTED = "with " + _AFFECTED.rstrip(",") + " select count(*) from affected"  # noqa: S608
_RANGE = ("", "between :lo and :hi")
_CHANGED = ("in (select debtor_id from affected)", _AFFECTED)

_DAY = {"postgresql": "cast(started_at as date)", "sqlite": "substr(started_at, 1, 10)"}


def _statement(conn: Connection, tail: str, incremental: bool = False) -> TextClause:
    """The state query plus `tail`, over a debtor-id range or the debtors affected since a watermark."""
    day = _DAY.get(conn.dialect.name, "cast(started_at as date)")
    scope_cte, in_scope = (_AFFECTED, _CHANGED[0]) if incremental else _RANGE
    sql = _LEVEL_SQL.replace("{day}", day).replace("{scope_cte}", scope_cte).replace("{in_scope}", in_scope)
    times = [n for n in ("now", "since", "stamp", "w", "w_since") if f":{n}" in sql + tail]
    return text(sql + tail).bindparams(*(bindparam(n, type_=UtcDateTime()) for n in times))


def _params(lo: int, hi: int, now: datetime, policy: Policy, w: datetime | None = None) -> dict[str, object]:
    now = require_aware(now, "now")
    window = timedelta(days=policy.window_days)
    params: dict[str, object] = {
        "lo": lo, "hi": hi, "now": now, "since": now - window, "stamp": now,
        "max_failures": policy.max_failures, "min_days": policy.min_failure_days}
    if w is not None:
        params.update(w=w, w_since=w - window)
    return params


_UPDATE = """
    update debtors set contactability = n.state, contactability_at = :stamp
    from newstate n
    where debtors.id = n.debtor_id and debtors.contactability <> n.state
"""


def _update(conn: Connection, params: dict[str, object], incremental: bool) -> int:
    """Write the new states (a range, or the affected debtors); returns how many changed."""
    count = conn.execute(_statement(conn, _UPDATE, incremental), params).rowcount
    if count is None or count < 0:  # sqlite3 does not report rows of UPDATE ... FROM
        count = conn.exec_driver_sql("select changes()").scalar_one()
    return int(count or 0)


def compute_range(conn: Connection, lo: int, hi: int, now: datetime,
                  policy: Policy = DEFAULT_POLICY) -> dict[int, str]:
    """The set-based rule's states for debtors lo..hi, without writing (for checks and tests)."""
    stmt = _statement(conn, "select debtor_id, state from newstate where :stamp is not null")
    return {int(d): str(s) for d, s in conn.execute(stmt, _params(lo, hi, now, policy))}


MARK = "contactability"


def refresh_all(conn: Connection, as_of: date, now: datetime, progress: Progress | None = None, *,
                policy: Policy = DEFAULT_POLICY, chunk: int = 200_000, full: bool = False) -> dict[str, int]:
    """Bring every debtor's contactability up to `now`, set-based; counts per state, changed, recomputed.

    Incremental after the first run (watermark W in refresh_marks): only the debtors whose facts moved
    since W are recomputed: attempts recorded since W, attempts leaving the window, contact points and
    debtors created or updated since W; every other debtor's inputs are unchanged, so is its state.
    A first run, a changed policy, a clock that went back, a gap longer than the window, or `full=True`
    recompute every debtor in id ranges of `chunk` (a deleted contact point or attempt is only noticed
    there: run it weekly).
    """
    report = progress or no_progress
    now = require_aware(now, "now")
    detail = {"window_days": policy.window_days, "max_failures": policy.max_failures,
              "min_failure_days": policy.min_failure_days}
    mark = get_mark(conn, MARK)
    incremental = (not full and mark is not None and mark[1] == detail and mark[0] <= now
                   and now - mark[0] < timedelta(days=policy.window_days))
    since = mark[0] if incremental and mark is not None else None
    with batch_settings(conn):
        changed, recomputed = _refresh(conn, now, policy, chunk, report, since)
    set_mark(conn, MARK, now, detail)
    counts = {state.value: 0 for state in Contactability}
    for state, n in conn.execute(
        select(debtors.c.contactability, func.count()).group_by(debtors.c.contactability)
    ):
        counts[str(state)] = int(n)
    counts["changed"] = changed
    counts["recomputed"] = recomputed
    return counts


def _refresh(conn: Connection, now: datetime, policy: Policy, chunk: int, report: Progress,
             w: datetime | None) -> tuple[int, int]:
    """(changed, recomputed): the affected debtors since watermark w, or all in id ranges when w is None."""
    changed = recomputed = 0
    if w is not None:
        params = _params(0, 0, now, policy, w)
        changed = _update(conn, params, True)
        counted = text(_COUNT_AFFECTED).bindparams(
            *(bindparam(n, type_=UtcDateTime()) for n in ("w", "now", "w_since", "since")))
        recomputed = int(conn.execute(counted, {k: params[k] for k in ("w", "now", "w_since", "since")})
                         .scalar_one())
        report(1, 1, "contactability")
    else:
        bounds = conn.execute(select(func.min(debtors.c.id), func.max(debtors.c.id))).one()
        if bounds[0] is not None:
            lo_all, hi_all = int(bounds[0]), int(bounds[1])
            for lo in range(lo_all, hi_all + 1, chunk):
                hi = min(hi_all, lo + chunk - 1)
                changed += _update(conn, _params(lo, hi, now, policy), False)
                report(hi - lo_all + 1, hi_all - lo_all + 1, "contactability")
            recomputed = int(conn.execute(select(func.count()).select_from(debtors)).scalar_one())
    return changed, recomputed


def refresh_debtor(conn: Connection, debtor_id: int, now: datetime,
                   policy: Policy = DEFAULT_POLICY, *, current: str | None = None) -> str:
    """Recompute one debtor's state right after an attempt is recorded; returns the state.

    `current`: the stored state when the caller has just read it (saves the query)."""
    now = require_aware(now, "now")
    if current is None:
        current = conn.execute(
            select(debtors.c.contactability).where(debtors.c.id == debtor_id)
        ).scalar_one_or_none()
    if current is None:
        raise NotFound(f"debtor {debtor_id} not found")
    rows = conn.execute(
        select(contact_points.c.id, contact_points.c.relationship, contact_points.c.consent,
               contact_points.c.status, contact_points.c.channel)
        .where(contact_points.c.debtor_id == debtor_id)
    ).all()
    points = [PointFacts(int(r.id), owner_of(r.relationship, r.consent), r.status, r.channel) for r in rows]
    since = now - timedelta(days=policy.window_days)
    outcomes: dict[int, list[AttemptFact]] = {}
    for a in conn.execute(
        select(contact_attempts.c.id, contact_attempts.c.contact_point_id, contact_attempts.c.started_at,
               contact_attempts.c.outcome)
        .where(contact_attempts.c.debtor_id == debtor_id,
               contact_attempts.c.contact_point_id.is_not(None),
               contact_attempts.c.started_at >= since, contact_attempts.c.started_at <= now)
    ):
        outcomes.setdefault(int(a.contact_point_id), []).append(AttemptFact(a.started_at, a.outcome, a.id))
    state = classify(points, outcomes, policy)
    if state.value != current:
        conn.execute(debtors.update().where(debtors.c.id == debtor_id)
                     .values(contactability=state.value, contactability_at=now))
    return state.value


def states_for(conn: Connection, debtor_ids: Sequence[int]) -> dict[int, str]:
    """The stored state of the given debtors (missing ids are left out)."""
    if not debtor_ids:
        return {}
    stmt = select(debtors.c.id, debtors.c.contactability).where(
        debtors.c.id.in_(bindparam("ids", expanding=True)))
    return {int(i): str(s) for i, s in conn.execute(stmt, {"ids": list(debtor_ids)})}



def refresh_contactability(rt: Runtime, principal: Principal, as_of: date | None = None,
                           progress: Progress | None = None, *, full: bool = False) -> dict[str, int]:
    """Use case: bring every debtor's contactability up to now (full: recompute all), one transaction."""
    require(principal, Permission.BATCH_RUN)
    with rt.engine.begin() as conn:
        return refresh_all(conn, as_of or today(rt.clock), rt.clock.now(), progress, full=full)
