"""Named pupils, built through the services at the shared ``NOW``, and request bodies.

Dates of birth are chosen relative to NOW (2 November 2026).
"""

from datetime import date

from classvault.consent import services
from classvault.consent.models import Pupil
from support.personas import NOW


class Pupils:
    """Pupils of OBS Noord with full, recording-only and no consent, and one of CBS Zuid."""

    def __init__(self, world) -> None:
        self.world = world
        admin = world.school_admin
        self.ada = add(admin, "1001", "Ada Aap", date(2014, 3, 10), "5A")  # 12, full
        self.bram = add(admin, "1002", "Bram Beer", date(2013, 5, 20), "5A")  # 13, recording
        self.cas = add(admin, "1003", "Cas Cavia", date(2012, 9, 1), "6B")  # 14, none
        self.dewi = add(admin, "1004", "Dewi Das", date(2009, 6, 15), "6B")  # 17, full
        self.eva = add(
            world.other_school_admin, "2001", "Eva Egel", date(2014, 1, 1), "5A", school="ZUID"
        )  # Zuid, full
        give(admin, self.ada, recording=True, peer_viewing=True)
        give(admin, self.bram, recording=True, peer_viewing=False)
        give(admin, self.dewi, recording=True, peer_viewing=True, given_by="pupil")
        give(world.other_school_admin, self.eva, recording=True, peer_viewing=True)
        for pupil in (self.ada, self.bram, self.dewi, self.eva):
            pupil.refresh_from_db()


def add(actor, external_id, name, born, group, school="NOORD") -> Pupil:
    return services.pupil_create(
        actor=actor,
        school_code=school,
        external_id=external_id,
        full_name=name,
        date_of_birth=born,
        group=group,
        now=NOW,
    )


def give(actor, pupil, *, recording, peer_viewing, given_by="guardian", signed_on=None):
    return services.consent_give(
        actor=actor,
        pupil_id=str(pupil.pk),
        recording=recording,
        peer_viewing=peer_viewing,
        given_by=given_by,
        signer_name="Gerda Guardian" if given_by == "guardian" else "Self",
        signed_on=signed_on or date(2026, 10, 1),
        now=NOW,
    )


def consent_body(**overrides) -> dict:
    body = {
        "recording": True,
        "peer_viewing": True,
        "given_by": "guardian",
        "signer_name": "Carla Cavia",
        "signed_on": "2026-10-30",
    }
    body.update(overrides)
    return body


def withdraw_body(**overrides) -> dict:
    body = {
        "scope": "all",
        "by": "guardian",
        "signer_name": "Gerda Guardian",
        "verified_in_person": True,
        "on": "2026-11-01",
    }
    body.update(overrides)
    return body


def pupil_body(**overrides) -> dict:
    body = {
        "school": "NOORD",
        "external_id": "3001",
        "full_name": "Noor Nieuw",
        "date_of_birth": "2015-04-01",
        "group": "4C",
    }
    body.update(overrides)
    return body
