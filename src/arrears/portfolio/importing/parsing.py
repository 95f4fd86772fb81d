"""Where rows are validated: inline for small files, or in a parser process for big ones, so parsing
(pure Python, holds the GIL) runs on one core while the database writes the previous batch on another.

Both sources yield `Validated` batches in file order and finish with the file's digest and encoding.
The validator's file-wide checks (duplicate ids, the third-party contact limit) live wherever it runs.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from arrears.core.errors import FieldProblem, InputRejected
from arrears.portfolio.importing.headers import Mapping, header_score, plan_columns
from arrears.portfolio.importing.kinds import Rejected, Validator, make_validator
from arrears.portfolio.importing.reader import RowSource, open_rows
from arrears.settings import Settings

PARALLEL_PARSE_BYTES = 4 << 20  # files at least this big are parsed in a separate process


@dataclass
class Validated:
    """One validated batch: how many rows it had, the valid records, the rejected rows, progress."""

    rows: int
    records: list[Any]
    rejected: list[Rejected]
    bytes_read: int


@dataclass
class Job:
    """Everything a parser process needs to open and validate the file itself."""

    kind: str
    path: Path
    encoding: str | None
    layout: Mapping | None
    settings: Settings
    today: date
    file: str
    batch_size: int


@dataclass
class Finished:
    """What is known only once the whole file was read."""

    sha256: str = ""
    encoding: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def inline_batches(source: RowSource, validator: Validator, size: int, done: Finished) -> Iterator[Validated]:
    """Validate on the calling thread."""
    for numbers, rows in source.batches(size):
        records, rejected = validator.validate(numbers, rows)
        yield Validated(len(rows), records, rejected, source.bytes_read)
    validator.finish()
    done.sha256, done.encoding = source.sha256(), source.encoding


def process_batches(job: Job, done: Finished) -> Iterator[Validated]:
    """Validate in a spawned parser process; its errors are raised here, in order."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_parse, args=(job, send), name="arrears-import-parser", daemon=True)
    worker.start()
    send.close()
    try:
        while True:
            try:
                tag, payload = receive.recv()
            except EOFError:
                raise RuntimeError("the import's parser process stopped unexpectedly") from None
            if tag == "batch":
                yield payload
            elif tag == "end":
                done.sha256, done.encoding = payload
                return
            elif tag == "rejected":
                message, problems = payload
                raise InputRejected(message, problems)
            else:
                raise RuntimeError(f"the import's parser process failed:\n{payload}")
    finally:
        receive.close()
        if worker.is_alive():
            worker.kill()
        worker.join()


def _parse(job: Job, send: Any) -> None:
    """The parser process: open the file, validate every batch, send each one back."""
    try:
        source = open_rows(job.path, job.encoding, header_score(job.kind, job.layout))
        plan = plan_columns(job.kind, source.headers, job.layout, file=job.file)
        validator = make_validator(job.kind, plan, job.settings, job.today, job.file)
        for numbers, rows in source.batches(job.batch_size):
            records, rejected = validator.validate(numbers, rows)
            send.send(("batch", Validated(len(rows), records, rejected, source.bytes_read)))
        validator.finish()
        send.send(("end", (source.sha256(), source.encoding)))
    except InputRejected as exc:
        problems: list[FieldProblem] = list(exc.problems)
        _send_quietly(send, ("rejected", (exc.message, problems)))
    except BaseException:  # noqa: BLE001  (reported to the parent with its traceback)
        _send_quietly(send, ("error", traceback.format_exc()))
    finally:
        send.close()


def _send_quietly(send: Any, message: tuple[str, Any]) -> None:
    """Report to the parent unless it has already gone (it stopped reading because it failed itself)."""
    try:
        send.send(message)
    except OSError:
        pass
