"""What every page's header needs: the number of unread notifications (one COUNT query,
for a logged-in user only; none on the "busy, try again" page, which is shown when the
database could not answer)."""

from typing import Any

from django.http import HttpRequest

from classvault.people.notifications import notifications_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "database_unavailable", False):
        return {}
    return {"notifications_unread": notifications_unread_count(user)}
