from django.urls import path

from . import views

app_name = "redaction"

urlpatterns = [
    path("recordings/<uuid:recording_id>/redact/", views.redaction_new, name="new"),
    path("redactions/<uuid:job_id>/", views.redaction_job, name="job"),
    path("redactions/<uuid:job_id>/cancel/", views.redaction_cancel, name="cancel"),
    path("redactions/<uuid:job_id>/review/", views.redaction_review, name="review"),
]
