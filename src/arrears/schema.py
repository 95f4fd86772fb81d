"""Every domain's tables on the one MetaData: what Alembic compares against and tests create."""

from arrears.compliance import store as _compliance_store  # noqa: F401
from arrears.compliance.language import store as _language_store  # noqa: F401
from arrears.core.tables import metadata
from arrears.desk import store as _desk_store  # noqa: F401
from arrears.payments import store as _payments_store  # noqa: F401
from arrears.portfolio import store as _portfolio_store  # noqa: F401  (registers the tables)
from arrears.reporting import store as _reporting_store  # noqa: F401
from arrears.sim import store as _sim_store  # noqa: F401
from arrears.strategy import store as _strategy_store  # noqa: F401
from arrears.strategy.best_time import store as _best_time_store  # noqa: F401
from arrears.strategy.scoring import store as _scoring_store  # noqa: F401
from arrears.users import audit_store as _audit_store  # noqa: F401  (audit_log indexes and guard)
from arrears.users import store as _users_store  # noqa: F401
from arrears.worklist import store as _worklist_store  # noqa: F401

__all__ = ["metadata"]
