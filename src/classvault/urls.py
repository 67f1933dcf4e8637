from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("classvault.consent.urls")),
    path("", include("classvault.web.urls")),
]

handler400 = "classvault.core.views.bad_request"
handler403 = "classvault.core.views.forbidden"
handler404 = "classvault.core.views.not_found"
handler500 = "classvault.core.views.error"
