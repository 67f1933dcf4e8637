"""What a stored object is to the thing it belongs to; part of the vault's public surface."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    ORIGINAL = "original", _("original upload")
    RENDITION = "rendition", _("playable rendition")
    POSTER = "poster", _("poster image")
