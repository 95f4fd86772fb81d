"""Table of the desk: the objection library (zh-CN and English), edited by managers."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text, UniqueConstraint, text

from arrears.core.tables import Id, UtcDateTime, metadata

desk_objections = Table(
    "desk_objections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(40), nullable=False),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("title_zh", String(120), nullable=False),
    Column("title_en", String(120), nullable=False),
    Column("answer_zh", Text, nullable=False),
    Column("answer_en", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("key", name="uq_desk_objections_key"),
)
