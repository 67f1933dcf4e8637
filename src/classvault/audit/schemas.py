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
