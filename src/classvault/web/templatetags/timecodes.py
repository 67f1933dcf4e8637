"""Time codes as people read them: 45:12, or 1:05:09 past an hour (not "2712 s")."""

from django import template

register = template.Library()


@register.filter
def timecode(seconds: float | int | None) -> str:
    """Whole seconds as m:ss (minutes padded to two digits), h:mm:ss from an hour on."""
    if seconds is None:
        return ""
    total = max(0, int(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"
