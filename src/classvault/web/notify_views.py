"""Notifications: the list (each recording through the visibility rule) and "mark all read"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classvault.core import clock
from classvault.people.notifications import notifications_mark_read

from .notify_selectors import notifications_page


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    context = notifications_page(actor=request.user, now=clock.now(), page=request.GET.get("page"))
    return render(request, "web/notify/list.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(actor=request.user, now=clock.now())
    messages.success(request, _("All notifications are marked read."))
    return redirect("web:notifications")
