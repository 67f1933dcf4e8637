"""HTML forms of the school admin's and the privacy officer's pages: they parse only.

Every rule (who signs, dates in the past, the in-person check) is the services' own, so the
page and the API refuse the same things with the same words.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReceivedHow, Signer, WithdrawalScope


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PupilForm(forms.Form):
    external_id = forms.CharField(label=_("Pupil number"), max_length=64)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    group = forms.CharField(label=_("Group"), max_length=32)


class ConsentForm(forms.Form):
    recording = forms.BooleanField(
        label=_("Consent to be recorded (video and sound)"), required=False
    )
    peer_viewing = forms.BooleanField(
        label=_("Consent to be shown to fellow student teachers"), required=False
    )
    given_by = forms.ChoiceField(
        label=_("Signed by"), choices=Signer.choices, widget=forms.RadioSelect
    )
    signer_name = forms.CharField(label=_("Name of the person who signed"), max_length=200)
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput())
    received_how = forms.ChoiceField(
        label=_("Received as"),
        initial=ReceivedHow.PAPER_FORM,
        choices=[
            (ReceivedHow.PAPER_FORM, ReceivedHow.PAPER_FORM.label),
            (ReceivedHow.DIGITAL_FORM, ReceivedHow.DIGITAL_FORM.label),
        ],
    )


class WithdrawalForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("What is withdrawn"),
        widget=forms.RadioSelect,
        choices=WithdrawalScope.choices,
        initial=WithdrawalScope.ALL,
    )
    by = forms.ChoiceField(
        label=_("Withdrawn by"), choices=Signer.choices, widget=forms.RadioSelect
    )
    signer_name = forms.CharField(label=_("Name of the person who came in"), max_length=200)
    # Not required here: the service refuses a withdrawal not verified in person (R14) with
    # its own message, the same as the API's.
    verified_in_person = forms.BooleanField(
        label=_("I saw this person in person and checked who they are"), required=False
    )
    on = forms.DateField(label=_("Date of the visit"), widget=DateInput())


class RosterForm(forms.Form):
    file = forms.FileField(label=_("Roster export (CSV from Magister, SOMtoday or the like)"))
