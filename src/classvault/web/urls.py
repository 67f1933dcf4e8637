from django.urls import path

from . import recording_views, student_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("recordings/", recording_views.recording_list, name="recordings"),
    path("recordings/new/", recording_views.recording_upload, name="recording_upload"),
    path("recordings/<uuid:recording_id>/", recording_views.recording_player,
         name="recording"),
    # Managing a recording (student teacher and her custodian supervisor): student_views.
    path("recordings/<uuid:recording_id>/shares/", student_views.share_add,
         name="recording_share"),
    path("recordings/<uuid:recording_id>/shares/remove/", student_views.share_remove,
         name="recording_unshare"),
    path("recordings/<uuid:recording_id>/screenings/new/", student_views.screening_new,
         name="screening_new"),
    path("recordings/<uuid:recording_id>/screenings/<uuid:screening_id>/cancel/",
         student_views.screening_cancel, name="screening_cancel"),
    path("recordings/<uuid:recording_id>/delete/", student_views.recording_delete,
         name="recording_delete"),
]
