from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on their own; the pages name the SVG in <head>.
    path("favicon.ico", RedirectView.as_view(url=static("classvault/favicon.svg"), permanent=True)),
    path("", include("classvault.consent.urls")),
    path("", include("classvault.redaction.urls")),
    path("", include("classvault.web.urls")),
    path("", include("classvault.rights.urls")),
]

handler400 = "classvault.core.views.bad_request"
handler403 = "classvault.core.views.forbidden"
handler404 = "classvault.core.views.not_found"
handler500 = "classvault.core.views.error"
