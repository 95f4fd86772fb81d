"""Schemathesis over the app's own OpenAPI schema, in process (ASGI), as an administrator: no server errors.

A few examples per operation keep the whole run near a minute; every operation in the schema is covered,
so endpoints added later are fuzzed automatically.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from arrears.core.access import Role
from arrears.runtime import Runtime
from tests.authkit import auth_headers, make_agency, make_team
from tests.e2e.conftest import build_app

# examples per operation and generation mode; ARREARS_FUZZ_EXAMPLES=50 for a deeper (slower) run
EXAMPLES = {GenerationMode.POSITIVE: int(os.environ.get("ARREARS_FUZZ_EXAMPLES", "5")),
            GenerationMode.NEGATIVE: max(1, int(os.environ.get("ARREARS_FUZZ_EXAMPLES", "5")) * 3 // 5)}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Runtime]:
    """The app on a small seeded portfolio with a team and an agency."""
    app, _, _ = build_app(Path(tmp_path_factory.mktemp("schemathesis")))
    rt: Runtime = app.state.runtime
    make_team(rt, "fuzz-team")
    make_agency(rt, "FUZZ")
    return app, rt


class Admin:
    """Bearer headers of an administrator, replaced when an operation deactivated it or revoked its token."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.headers = auth_headers(rt, Role.ADMINISTRATOR)

    def after(self, status: int) -> None:
        """Start over with a fresh administrator when the last call was refused as unauthenticated."""
        if status == 401:
            self.headers = auth_headers(self.rt, Role.ADMINISTRATOR)


def _fuzz(operation: Any, admin: Admin | Runtime, mode: GenerationMode) -> list[str]:
    """Run the examples of one operation in one generation mode; the server errors found (described)."""
    found: list[str] = []
    if isinstance(admin, Runtime):
        admin = Admin(admin)
    calls = admin

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        try:
            response = case.call(headers=dict(calls.headers))
        except Exception as exc:  # noqa: BLE001 - an exception escaping the app is a server error too
            found.append(f"{operation.label} [{mode.value}] raised {type(exc).__name__}: {exc}\n"
                         f"  path={case.formatted_path} query={case.query!r}\n  body={case.body!r}\n"
                         + "".join(traceback.format_exception(exc)[-3:]))
            return
        calls.after(response.status_code)
        if response.status_code >= 500:
            found.append(f"{operation.label} [{mode.value}] -> {response.status_code}\n"
                         f"  path={case.formatted_path} query={case.query!r}\n  body={case.body!r}\n"
                         f"  response={response.text[:500]}")

    try:
        run()
    except Unsatisfiable:
        pass  # no invalid input exists for this operation (e.g. no parameters): nothing to send
    except Exception as exc:  # noqa: BLE001 - an exception escaping the app is a server error too
        found.append(f"{operation.label} [{mode.value}] raised {type(exc).__name__}: {exc}")
    return found


def test_no_operation_answers_with_a_server_error(fuzzed: tuple[Any, Runtime]) -> None:
    app, rt = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:  # the app publishes a schema that cannot be used for this operation
            failures.append(f"invalid operation in the OpenAPI schema: {result.err()}")
    assert len(operations) >= 10
    admin = Admin(rt)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, admin, mode)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
