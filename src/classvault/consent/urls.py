from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    # The contract names /privacy without a trailing slash.
    path("privacy", views.privacy, name="privacy"),
    path("privacy/versions/<str:version>", views.privacy_version, name="privacy_version"),
    path("consent/pupils/", views.pupils, name="pupils"),
    path("consent/forms/", views.consent_forms, name="forms"),
    path("consent/forms/<uuid:pupil_id>/", views.consent_forms, name="pupil_form"),
]
