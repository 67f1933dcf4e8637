from django.urls import path

from . import views

app_name = "rights"

urlpatterns = [
    path("privacy-office/requests/", views.request_list, name="requests"),
    path("privacy-office/requests/new/", views.request_new, name="request_new"),
    path("privacy-office/requests/<uuid:request_id>/", views.request_detail, name="request"),
    path(
        "privacy-office/requests/<uuid:request_id>/start/",
        views.request_start,
        name="request_start",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/extend/",
        views.request_extend,
        name="request_extend",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/complete/",
        views.request_close,
        {"how": "complete"},
        name="request_complete",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/reject/",
        views.request_close,
        {"how": "reject"},
        name="request_reject",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/withdrawal/",
        views.request_withdrawal,
        name="request_withdrawal",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/erase-pupil/",
        views.request_pupil_erase,
        name="request_pupil_erase",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/recordings/<uuid:recording_id>/delete/",
        views.request_recording_delete,
        name="request_recording_delete",
    ),
    path(
        "privacy-office/requests/<uuid:request_id>/recordings/<uuid:recording_id>/inspect/",
        views.request_inspection,
        name="request_inspection",
    ),
    path("privacy-office/pupils/<uuid:pupil_id>/report/", views.pupil_report, name="report"),
    path("privacy-office/register/", views.register, name="register"),
    path("privacy-office/audit-export/", views.audit_export_view, name="audit_export"),
]
