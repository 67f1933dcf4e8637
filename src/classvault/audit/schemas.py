from datetime import datetime

from ninja import Schema


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor: str
    action: str
    object: str
    purpose: str
    hash: str


class AuditExportEventOut(Schema):
    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    purpose: str
    data: dict
    prev_hash: str
    hash: str


class AuditExportOut(Schema):
    format: str
    exported_at: str
    exported_by: str
    query: dict
    key: str
    count: int
    events: list[AuditExportEventOut]
    signature: str
