"""Every domain's tables on the one MetaData: what Alembic compares against and tests create."""

from arrears.compliance import store as _compliance_store  # noqa: F401
from arrears.compliance.language import store as _language_store  # noqa: F401
from arrears.core.tables import metadata
from arrears.portfolio import store as _portfolio_store  # noqa: F401  (registers the tables)
from arrears.users import store as _users_store  # noqa: F401
from arrears.worklist import store as _worklist_store  # noqa: F401

__all__ = ["metadata"]
