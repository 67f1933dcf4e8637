"""``{% recording_manage recording as panel %}``: the data of the player's "who has access"
panel (templates/web/recording/_manage.html), so the player view needs no change for it.
A template-level interface: it calls one selector, as a view would."""

from django import template

from classvault.core import clock
from classvault.sharing.access import recording_manage_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def recording_manage(context, recording):
    return recording_manage_panel(
        actor=context["request"].user, recording=recording, now=clock.now()
    )
