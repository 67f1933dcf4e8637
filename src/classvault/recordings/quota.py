"""Storage per student teacher (issue 12): ``CLASSVAULT_QUOTA_BYTES``, 0 = no quota.

Her use is the original sizes of her recordings that have not expired (an expired one is
swept shortly and can no longer be watched) plus what her open uploads will take: the
announced size of a file, what arrived so far of a recording made in the browser. An upload
is refused (413) when it starts if it would not fit, a browser recording stops at the
quota, and the deciding check is made once more in the transaction that creates the
recording, with the owner's user row locked, so two uploads finishing at once cannot
together pass the quota (on SQLite every transaction holds the single write lock anyway).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from classvault.core.exceptions import TooLarge
from classvault.people.models import User

from .models import Recording, Upload

# Below this the need rounds to 0.0 GB: the message then just says the storage is full.
SHOWN_NEED = 50_000_000


@dataclass(frozen=True)
class StorageUse:
    used: int
    quota: int  # 0: no quota

    @property
    def limited(self) -> bool:
        return self.quota > 0

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def gb_text(size: int) -> str:
    """A size in GB (10^9 bytes) with one decimal, in the active language's notation."""
    return number_format(size / 1e9, 1)


def storage_use(*, owner: User, now: datetime, except_upload=None) -> StorageUse:
    """What the owner's recordings and open uploads take (``except_upload``'s own bytes not)."""
    recordings = Recording.objects.filter(owner=owner, expires_at__gt=now).aggregate(
        total=Sum("original_size")
    )["total"]
    uploads = Upload.objects.filter(owner=owner, expires_at__gt=now)
    if except_upload is not None:
        uploads = uploads.exclude(pk=except_upload.pk)
    pending = sum(
        u.received if u.size is None else u.size for u in uploads.only("size", "received")
    )
    return StorageUse(used=(recordings or 0) + pending, quota=settings.CLASSVAULT_QUOTA_BYTES)


def storage_lock(*, owner: User) -> None:
    """Lock the owner's user row until commit: quota decisions for her run one at a time."""
    # NO KEY UPDATE: rows that merely refer to her (a new upload, a comment) do not wait.
    list(
        User.objects.select_for_update(no_key=True).filter(pk=owner.pk).values_list("pk", flat=True)
    )


def quota_check(*, owner: User, adding: int, now: datetime, except_upload=None) -> None:
    """413 unless ``adding`` more bytes fit in the owner's quota (nothing to add: unless she
    still has room at all)."""
    use = storage_use(owner=owner, now=now, except_upload=except_upload)
    if not use.limited or use.used + max(adding, 1) <= use.quota:
        return
    numbers = {"used": gb_text(use.used), "quota": gb_text(use.quota), "needed": gb_text(adding)}
    if adding >= SHOWN_NEED:
        detail = _(
            "This recording does not fit in your storage: %(used)s of %(quota)s GB is in use "
            "and this needs %(needed)s GB more. Nothing was kept. Delete old recordings you "
            "no longer need, or ask your institute for more space."
        )
    else:
        detail = _(
            "Your storage is full: %(used)s of %(quota)s GB is in use. Delete old recordings "
            "you no longer need, or ask your institute for more space."
        )
    raise TooLarge(detail % numbers, used_bytes=use.used, quota_bytes=use.quota)
