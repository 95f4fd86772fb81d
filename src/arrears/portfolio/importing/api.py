"""REST: POST /imports/{kind} (multipart upload), GET /imports, GET /imports/{reference}."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from arrears.core.access import Permission, Principal
from arrears.core.errors import NotFound
from arrears.portfolio.importing.headers import KINDS
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["import"])
_IMPORT = requires(Permission.PORTFOLIO_IMPORT)
CHUNK = 1 << 20


def _save(upload: UploadFile, folder: Path, fallback: str) -> Path:
    """Copy an upload to a file in `folder` chunk by chunk (never whole in memory)."""
    name = PurePath((upload.filename or fallback).replace("\\", "/")).name or fallback
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, CHUNK)
    return target


@router.post("/imports/{kind}")
def create_import(
    kind: str,
    file: UploadFile = File(..., description="CSV or XLSX file"),
    encoding: str | None = Form(None, description="Force the CSV encoding (utf-8, gb18030...)"),
    quarantine: bool = Form(False, description="Import good rows and set bad rows aside"),
    dry_run: bool = Form(False, description="Check and count everything, write nothing"),
    mapping: UploadFile | None = File(None, description="YAML mapping of headers to fields"),
    rt: Runtime = Depends(get_runtime),
    principal: Principal = Depends(_IMPORT),
) -> dict[str, Any]:
    """Import an uploaded file; 422 with every problem when refused (nothing is written then)."""
    from arrears.portfolio.importing.service import import_file

    if kind not in KINDS:
        raise NotFound(f"unknown import kind {kind!r} (one of: {', '.join(KINDS)})")
    with tempfile.TemporaryDirectory(prefix="arrears-import-") as tmp:
        folder = Path(tmp)
        path = _save(file, folder, f"upload.{kind}.csv")
        mapping_path = (
            _save(mapping, folder / "mapping", "mapping.yaml") if mapping and mapping.filename else None
        )
        result = import_file(
            rt,
            kind,
            path,
            encoding=encoding or None,
            mapping=mapping_path,
            quarantine=quarantine,
            dry_run=dry_run,
            actor=f"api:{principal.username}"[:64],
            file_name=path.name,
            principal=principal,
        )
    return result.as_dict()


@router.get("/imports")
def list_imports(
    limit: int = Query(50, ge=1, le=500), rt: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(_IMPORT),
) -> list[dict[str, Any]]:
    """The most recent import batches, newest first."""
    from arrears.portfolio.importing.service import recent_batches

    return recent_batches(rt, limit)


@router.get("/imports/{reference}")
def get_import(
    reference: str, rt: Runtime = Depends(get_runtime), _principal: Principal = Depends(_IMPORT)
) -> dict[str, Any]:
    """One import batch with its quarantined rows."""
    from arrears.portfolio.importing.service import batch_detail

    found = batch_detail(rt, reference)
    if found is None:
        raise NotFound(f"no import batch {reference!r}")
    return found
