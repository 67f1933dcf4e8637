"""The institute admin's pages: schools, users, placements, guidelines, privacy statement.

Thin: each view parses its form, calls the owning app's selector or service and renders.
The rules (who may, what is valid, what is a duplicate) live in those services; their
refusals come back as domain errors, shown on the re-rendered form with their status
(403, 409 or 422). Every page refuses every role but the institute admin (403).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from classvault.consent import selectors as consent_selectors
from classvault.consent.models import ContactKind
from classvault.consent.services.statement import statement_publish
from classvault.core import clock
from classvault.core.exceptions import DomainError, Forbidden
from classvault.people import lockouts as people_lockouts
from classvault.people import selectors as people_selectors
from classvault.people import services as people_services
from classvault.people.models import Role
from classvault.retention.selectors import expiry_change_preview

USERS_PER_PAGE = 25
CONTACT_PARTS = ("name", "email", "website", "phone")


def institute_admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and the institute admin (the people app's role rule): else 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            people_services.require_role(request.user, Role.INSTITUTE_ADMIN)
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from exc
        return view(request, *args, **kwargs)

    return wrapper


def _refused(form: forms.Form, exc: DomainError) -> int:
    """Show the service's refusal on the form; the status the page answers with."""
    form.add_error(None, exc.detail)
    return exc.status


def _status(form: forms.Form) -> int:
    return 200 if not form.is_bound or form.is_valid() else 422


# --- schools ------------------------------------------------------------------------------


class SchoolForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("School code"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Short and unique, e.g. LINDE."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)


@institute_admin_only
@require_http_methods(["GET", "POST"])
def schools(request: HttpRequest) -> HttpResponse:
    form = SchoolForm(request.POST or None)
    status = _status(form)
    if form.is_bound and form.is_valid():
        try:
            school = people_services.school_create(
                actor=request.user, now=clock.now(), **form.cleaned_data
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(
                request,
                _("School %(name)s (%(code)s) added.") % {"name": school.name, "code": school.code},
            )
            return redirect("web:institute_schools")
    return render(
        request,
        "web/institute/schools.html",
        {"form": form, "schools": people_selectors.schools_all()},
        status=status,
    )


# --- users --------------------------------------------------------------------------------


def _school_choices(empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [
        (s.code, f"{s.name} ({s.code})") for s in people_selectors.schools_all()
    ]


class UserFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or username"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), required=False)
    school = forms.ChoiceField(label=gettext_lazy("School"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("All roles"))] + list(Role.choices)
        self.fields["school"].choices = _school_choices(_("All schools"))


@institute_admin_only
def users(request: HttpRequest) -> HttpResponse:
    filters = UserFilter(request.GET)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    users = people_selectors.users_list(
        actor=request.user,
        role=wanted.get("role") or None,
        school_code=wanted.get("school") or None,
        query=wanted.get("q", ""),
        now=clock.now(),
    )
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/institute/users.html",
        {"filters": filters, "page": page, "query": query.urlencode()},
        status=200 if filters.is_valid() else 422,
    )


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150, required=False)
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=200, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail address"), max_length=254, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    school = forms.ChoiceField(
        label=gettext_lazy("School"),
        required=False,
        help_text=gettext_lazy("Required for school administrators and school supervisors."),
    )
    password = forms.CharField(
        label=gettext_lazy("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Leave empty to have one generated; it is shown once, after saving."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = _school_choices(_("No school"))


@institute_admin_only
@require_http_methods(["GET", "POST"])
def user_new(request: HttpRequest) -> HttpResponse:
    form = UserForm(request.POST or None)
    status = _status(form)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        generated = not data["password"]
        password = data["password"] or people_services.password_generate()
        try:
            user = people_services.user_create(
                actor=request.user,
                username=data["username"],
                password=password,
                role=data["role"],
                full_name=data["full_name"],
                email=data["email"],
                school_code=data["school"] or None,
                now=clock.now(),
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            # Rendered, not redirected: a generated password is shown this once and is
            # never kept in a session or a URL (the page is not cached: no-store).
            return render(
                request,
                "web/institute/user_created.html",
                {
                    "new_user": user,
                    "password": password if generated else None,
                    "place_url": reverse("web:institute_enrolment", args=[user.username]),
                },
                status=201,
            )
    return render(request, "web/institute/user_new.html", {"form": form}, status=status)


# --- placements (enrolments) --------------------------------------------------------------


@institute_admin_only
def enrolments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/institute/enrolments.html",
        {"students": people_selectors.student_teachers_list(actor=request.user)},
    )


class EnrolmentForm(forms.Form):
    school = forms.ChoiceField(label=gettext_lazy("School"))
    study_end = forms.DateField(
        label=gettext_lazy("End of study"),
        # A date input takes ISO dates only, whatever the language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    trainers = forms.MultipleChoiceField(
        label=gettext_lazy("Trainers"), required=False, widget=forms.CheckboxSelectMultiple
    )
    supervisors = forms.MultipleChoiceField(
        label=gettext_lazy("Supervisors at the school"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only supervisors of the school chosen above."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = _school_choices(_("Choose a school"))
        self.fields["trainers"].choices = [
            (u.username, f"{u.display_name} ({u.username})")
            for u in people_selectors.users_with_role(actor=actor, role=Role.TRAINER)
        ]
        self.fields["supervisors"].choices = [
            (u.username, f"{u.display_name} ({u.username}), {u.school.name if u.school else '-'}")
            for u in people_selectors.users_with_role(actor=actor, role=Role.SCHOOL_SUPERVISOR)
        ]


def _enrolment_initial(student: Any) -> dict[str, Any]:
    enrolment = people_selectors.enrolment_of(student=student)
    if enrolment is None:
        return {}
    return {
        "school": enrolment.school.code,
        "study_end": enrolment.study_end,
        "trainers": [u.username for u in enrolment.trainers.all()],
        "supervisors": [u.username for u in enrolment.supervisors.all()],
    }


@institute_admin_only
@require_http_methods(["GET", "POST"])
def enrolment(request: HttpRequest, username: str) -> HttpResponse:
    """Place a student teacher. "Show the effect" previews how many of her recordings'
    expiry the study end moves; "Save" places her and says how many moved."""
    now = clock.now()
    student = people_selectors.student_teacher_get(actor=request.user, username=username)
    form = EnrolmentForm(
        request.POST or None, actor=request.user, initial=_enrolment_initial(student)
    )
    status, effect = _status(form), None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        effect = expiry_change_preview(
            actor=request.user, username=username, study_end=data["study_end"], now=now
        )
        if request.POST.get("action") == "save":
            try:
                people_services.enrolment_set(
                    actor=request.user,
                    username=username,
                    school_code=data["school"],
                    study_end=data["study_end"],
                    trainers=data["trainers"],
                    supervisors=data["supervisors"],
                    now=now,
                )
            except DomainError as exc:
                status, effect = _refused(form, exc), None
            else:
                # The count was read just before the save, in the same request.
                messages.success(
                    request,
                    ngettext(
                        "The placement of %(name)s is saved. The expiry of %(moved)s of her "
                        "recordings moved.",
                        "The placement of %(name)s is saved. The expiry of %(moved)s of her "
                        "recordings moved.",
                        effect["moved"],
                    )
                    % {"name": student.display_name, "moved": effect["moved"]},
                )
                return redirect("web:institute_enrolments")
    return render(
        request,
        "web/institute/enrolment.html",
        {"student": student, "form": form, "effect": effect},
        status=status,
    )


# --- guidelines ---------------------------------------------------------------------------


class GuidelinesForm(forms.Form):
    version = forms.CharField(
        label=gettext_lazy("Version"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("A new label, e.g. 2027-1."),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "Student teachers see the text as written: an empty line starts a new paragraph."
        ),
    )


@institute_admin_only
@require_http_methods(["GET", "POST"])
def guidelines(request: HttpRequest) -> HttpResponse:
    overview = people_selectors.guidelines_overview(actor=request.user)
    current = overview["current"]
    form = GuidelinesForm(request.POST or None, initial={"text": current.text if current else ""})
    status = _status(form)
    if form.is_bound and form.is_valid():
        try:
            published = people_services.guidelines_publish(
                actor=request.user, now=clock.now(), **form.cleaned_data
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Version %(version)s of the guidelines is published. Every student teacher "
                    "must accept it before their next recording."
                )
                % {"version": published.version},
            )
            return redirect("web:institute_guidelines")
    return render(
        request, "web/institute/guidelines.html", {"form": form, **overview}, status=status
    )


# --- privacy statement --------------------------------------------------------------------


class StatementForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("Version"), max_length=32, required=False)
    text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "Markdown: # for a heading, - for a list item, an empty line between paragraphs."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "name": _("Name"),
            "email": _("E-mail address"),
            "website": _("Website (https:// or mailto:)"),
            "phone": _("Telephone"),
        }
        for kind in ContactKind:
            for part in CONTACT_PARTS:
                self.fields[f"{kind.value}_{part}"] = forms.CharField(
                    label=labels[part], required=False, max_length=300
                )

    def contact_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (kind.label, [self[f"{kind.value}_{part}"] for part in CONTACT_PARTS])
            for kind in ContactKind
        ]

    def contacts(self) -> list[dict[str, str]]:
        """The contacts filled in; one left wholly empty is left out (the service then says
        which contact the statement must still name)."""
        contacts = [
            {
                "kind": kind.value,
                **{part: self.cleaned_data[f"{kind.value}_{part}"] for part in CONTACT_PARTS},
            }
            for kind in ContactKind
        ]
        return [c for c in contacts if any(c[part].strip() for part in CONTACT_PARTS)]


def _statement_initial(current: Any) -> dict[str, str]:
    if current is None:
        return {}
    initial = {"text": current.text}
    for contact in current.contacts:
        for part in CONTACT_PARTS:
            initial[f"{contact.get('kind')}_{part}"] = contact.get(part, "")
    return initial


@institute_admin_only
@require_http_methods(["GET", "POST"])
def privacy_statement(request: HttpRequest) -> HttpResponse:
    current = consent_selectors.statement_current()
    form = StatementForm(request.POST or None, initial=_statement_initial(current))
    status = _status(form)
    if form.is_bound and form.is_valid():
        try:
            published = statement_publish(
                actor=request.user,
                version=form.cleaned_data["version"],
                text=form.cleaned_data["text"],
                contacts=form.contacts(),
                now=clock.now(),
            )
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Version %(version)s of the privacy statement is "
                    "published and in force from today."
                )
                % {"version": published.version},
            )
            return redirect("web:institute_privacy")
    return render(
        request,
        "web/institute/privacy_statement.html",
        {
            "form": form,
            "current": current,
            "contacts": consent_selectors.statement_contacts(current) if current else [],
            "versions": consent_selectors.statement_versions(),
        },
        status=status,
    )


# --- login lockouts (django-axes, people/lockouts.py) -------------------------------------


@institute_admin_only
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    """Accounts and addresses with failed logins being counted; lift a lock by hand."""
    now = clock.now()
    if request.method == "POST":
        try:
            attempt_id = int(request.POST.get("attempt", ""))
        except ValueError:
            attempt_id = 0
        try:
            people_lockouts.lockout_lift(actor=request.user, attempt_id=attempt_id, now=now)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The lock is lifted: logging in works again."))
        return redirect("web:institute_lockouts")
    return render(
        request,
        "web/institute/lockouts.html",
        {"lockouts": people_lockouts.lockouts_list(now=now)},
    )
