"""The order form: what to blur and silence, and why."""

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def parse_ranges(text: str) -> list[list[float]]:
    """``"12-20, 65.5-70"`` or ``"1:05-1:10"`` (minutes:seconds) to ``[[12, 20], ...]``."""

    def seconds(value: str) -> float:
        parts = value.strip().split(":")
        if not 1 <= len(parts) <= 3:
            raise ValueError(value)
        total = 0.0
        for part in parts:
            total = total * 60 + float(part)
        return total

    ranges = []
    for item in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        start, sep, end = item.partition("-")
        if not sep:
            raise forms.ValidationError(_("Write each range as start-end, e.g. 12-20."))
        try:
            ranges.append([seconds(start), seconds(end)])
        except ValueError:
            raise forms.ValidationError(
                _("%(range)s is not a range of seconds such as 12-20 or 1:05-1:10.")
                % {"range": item}
            ) from None
    return ranges


class RedactionForm(forms.Form):
    faces = forms.ChoiceField(
        label=gettext_lazy("Faces"),
        choices=[
            ("all", gettext_lazy("Blur every face in the whole recording")),
            ("none", gettext_lazy("Blur only the person I mark (or no faces)")),
        ],
        widget=forms.RadioSelect,
        initial="all",
    )
    mute = forms.CharField(
        label=gettext_lazy("Silence these moments (seconds, e.g. 12-20, 1:05-1:10)"),
        required=False,
        max_length=2000,
    )
    reason = forms.CharField(label=gettext_lazy("Why (e.g. the request it serves)"), max_length=300)
    pupils = forms.MultipleChoiceField(
        label=gettext_lazy("Pupils this removes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    track = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20000)

    def __init__(self, *args, pupil_choices=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pupils"].choices = list(pupil_choices)
        if not pupil_choices:
            del self.fields["pupils"]

    def clean_mute(self) -> list[list[float]]:
        return parse_ranges(self.cleaned_data.get("mute", ""))

    def clean_track(self) -> list:
        raw = self.cleaned_data.get("track") or "[]"
        try:
            track = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("The marks could not be read; mark again.")) from None
        if not isinstance(track, list):
            raise forms.ValidationError(_("The marks could not be read; mark again."))
        return track
