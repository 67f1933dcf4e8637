"""Pupils, consent and withdrawal (school_admin of the pupil's school)."""

from ninja import Router

router = Router(tags=["pupils and consent"])
