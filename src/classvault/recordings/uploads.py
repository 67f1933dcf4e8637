"""An upload handler that encrypts a recording as its bytes arrive.

Django's default handlers keep small uploads in memory and spool large ones to a temporary
file: plaintext on disk. This handler feeds every chunk straight into a vault writer, so the
only thing that ever reaches the disk is ciphertext, and an upload that is cut off, too large
or refused later leaves nothing behind.
"""

import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload

from classvault.vault.purposes import Purpose
from classvault.vault.services import StoredObject, vault_writer

UPLOAD_FIELD = "file"


class UploadTooLarge(Exception):
    pass


@dataclass(frozen=True)
class EncryptedUpload:
    """What lands in ``request.FILES``: a receipt, not the bytes."""

    name: str
    content_type: str
    stored: StoredObject

    @property
    def size(self) -> int:
        return self.stored.plaintext_size

    def close(self) -> None:
        """Django closes uploaded files when parsing fails; a receipt has nothing to close."""


class EncryptingUploadHandler(FileUploadHandler):
    chunk_size = 1 << 20

    def __init__(self, request, *, object_id: str, now: datetime, max_bytes: int) -> None:
        super().__init__(request)
        self.object_id = object_id
        self.now = now
        self.max_bytes = max_bytes
        self.too_large = False
        self._stack: contextlib.ExitStack | None = None
        self._writer = None
        self._received = 0

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        if field_name != UPLOAD_FIELD or self._stack is not None:
            return  # other or repeated file fields are not received at all
        self._stack = contextlib.ExitStack()
        self._writer = self._stack.enter_context(
            vault_writer(object_id=self.object_id, purpose=Purpose.ORIGINAL, now=self.now)
        )
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        if self._writer is None or self.field_name != UPLOAD_FIELD:
            return None
        self._received += len(raw_data)
        if self._received > self.max_bytes:
            self.too_large = True
            self.abort()
            raise StopUpload(connection_reset=True)
        self._writer.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self._writer is None or self.field_name != UPLOAD_FIELD:
            return None
        writer, stack = self._writer, self._stack
        self._writer = None
        stack.close()  # commits the blob and stores its key
        return EncryptedUpload(self.file_name or "", self.content_type or "", writer.result)

    def abort(self) -> None:
        """Throw away a half-received file: leaving the writer with an error keeps nothing."""
        if self._stack is not None and self._writer is not None:
            self._writer = None
            with contextlib.suppress(UploadTooLarge):
                self._stack.__exit__(UploadTooLarge, UploadTooLarge(), None)

    def upload_interrupted(self):
        self.abort()
