"""When a redaction unblocks a recording that a withdrawal blocked.

A withdrawal of all consent blocks every recording the pupil takes part in (R14), until it
is redacted or deleted. Whether the pupil is really gone from the picture and the sound is a
person's judgement, not the detector's, so the rule asks for an explicit statement:

- the privacy officer ordered the redaction (an owner's redaction never unblocks);
- it removed faces (all of them, or a tracked person) AND silenced at least one range of
  sound: a face alone does not remove a voice (R3);
- it names the pupils it removes (``pupils``), and together with the earlier finished
  redactions of the same recording that met this rule, every pupil present (not attested
  out of view) whose recording consent is now withdrawn is named.

Otherwise the recording stays blocked; deleting it remains possible.
"""

from classvault.people.models import Role
from classvault.recordings.models import Recording

from .models import JobStatus


def removes_face_and_voice(job) -> bool:
    return job.ordered_by.role == Role.PRIVACY_OFFICER and bool(
        (job.faces == "all" or job.track) and job.mute and job.pupils
    )


def unblocks(job, recording: Recording) -> bool:
    if not removes_face_and_voice(job):
        return False
    withdrawn = {
        str(pk)
        for pk in recording.presences.filter(
            attested_out_of_view=False, pupil__recording_consent=False
        ).values_list("pupil_id", flat=True)
    }
    covered = set(job.pupils)
    for earlier in recording.redaction_jobs.filter(status=JobStatus.DONE).select_related(
        "ordered_by"
    ):
        if removes_face_and_voice(earlier):
            covered |= set(earlier.pupils)
    return withdrawn <= covered
