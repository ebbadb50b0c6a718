"""Persistence: sessions, messages, handoff tickets, staff (SQLAlchemy; SQLite default, PostgreSQL)."""

from .records import (
    ClaimConflict,
    CuratedInfo,
    DeliveryInfo,
    Duplicate,
    Forbidden,
    HandoffInfo,
    JobInfo,
    MessageInfo,
    NoteInfo,
    NotFound,
    SessionInfo,
    StaffInfo,
    StoreError,
)
from .store import Store

__all__ = [
    "ClaimConflict",
    "CuratedInfo",
    "DeliveryInfo",
    "Duplicate",
    "Forbidden",
    "HandoffInfo",
    "JobInfo",
    "MessageInfo",
    "NoteInfo",
    "NotFound",
    "SessionInfo",
    "StaffInfo",
    "Store",
    "StoreError",
]
