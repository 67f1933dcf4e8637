"""What every page's header needs: the number of unread notifications (one COUNT query,
for a logged-in user only)."""

from typing import Any

from django.http import HttpRequest

from classvault.people.notifications import notifications_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": notifications_unread_count(user)}
