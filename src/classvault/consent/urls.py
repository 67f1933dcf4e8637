from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    # The contract names /privacy without a trailing slash.
    path("privacy", views.privacy, name="privacy"),
    path("privacy/versions/<str:version>", views.privacy_version, name="privacy_version"),
    path("consent/pupils/", views.pupils, name="pupils"),
    path("consent/pupils/new/", views.pupil_add, name="pupil_add"),
    path("consent/pupils/import/", views.roster_import, name="roster_import"),
    path("consent/pupils/<uuid:pupil_id>/", views.pupil_detail, name="pupil"),
    path("consent/pupils/<uuid:pupil_id>/consent/", views.consent_give, name="consent_give"),
    path(
        "consent/pupils/<uuid:pupil_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"
    ),
    path("consent/forms/", views.consent_forms, name="forms"),
    path("consent/forms/<uuid:pupil_id>/", views.consent_forms, name="pupil_form"),
]
