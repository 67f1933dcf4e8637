from django.urls import path

from . import (
    account_views,
    institute_views,
    notify_views,
    officer_views,
    recording_views,
    sso_views,
    student_views,
    user_views,
    views,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("login/code/", account_views.factor_verify, name="factor_verify"),
    path("account/second-factor/", account_views.factor_enrol, name="factor_enrol"),
    path(
        "account/recovery-codes/",
        account_views.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("login/sso/", sso_views.sso_login, name="sso_login"),
    path("login/sso/callback/", sso_views.sso_callback, name="sso_callback"),
    path("institute/lockouts/", institute_views.lockouts, name="institute_lockouts"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("account/password/", user_views.password_change, name="password_change"),
    path("recordings/", recording_views.recording_list, name="recordings"),
    path("recordings/new/", recording_views.recording_upload, name="recording_upload"),
    path("recordings/record/", recording_views.recording_record, name="recording_record"),
    path("recordings/<uuid:recording_id>/", recording_views.recording_player, name="recording"),
    # privacy officer: the audit log and legal holds (web/officer_views.py)
    path("officer/audit/", officer_views.audit_search, name="officer_audit"),
    path("officer/audit/verify/", officer_views.audit_verify, name="officer_audit_verify"),
    path("officer/holds/", officer_views.holds, name="officer_holds"),
    path(
        "officer/recordings/<uuid:recording_id>/hold/",
        officer_views.recording_hold,
        name="officer_hold",
    ),
    path(
        "officer/recordings/<uuid:recording_id>/hold/release/",
        officer_views.recording_hold_release,
        name="officer_hold_release",
    ),
    # trainer / player: the privacy officer's purpose form, the trainer's assessment form
    path(
        "recordings/<uuid:recording_id>/purpose/",
        recording_views.recording_purpose,
        name="recording_purpose",
    ),
    path(
        "recordings/<uuid:recording_id>/assessment/",
        recording_views.recording_assess,
        name="recording_assess",
    ),
    # The institute admin's pages (institute_views.py).
    path("institute/schools/", institute_views.schools, name="institute_schools"),
    path("institute/users/", institute_views.users, name="institute_users"),
    path("institute/users/new/", institute_views.user_new, name="institute_user_new"),
    # One account: last login, tokens, deactivation (user_views.py).
    path("institute/users/<str:username>/", user_views.user_account, name="institute_user"),
    path(
        "institute/users/<str:username>/deactivate/",
        user_views.user_deactivate,
        name="institute_user_deactivate",
    ),
    path(
        "institute/users/<str:username>/second-factor/reset/",
        user_views.user_factor_reset,
        name="institute_user_factor_reset",
    ),
    path(
        "institute/users/<str:username>/reactivate/",
        user_views.user_reactivate,
        name="institute_user_reactivate",
    ),
    path(
        "institute/users/<str:username>/tokens/<int:token_id>/revoke/",
        user_views.user_token_revoke,
        name="institute_user_token_revoke",
    ),
    path("institute/placements/", institute_views.enrolments, name="institute_enrolments"),
    path(
        "institute/placements/<str:username>/",
        institute_views.enrolment,
        name="institute_enrolment",
    ),
    path("institute/guidelines/", institute_views.guidelines, name="institute_guidelines"),
    path(
        "institute/privacy-statement/", institute_views.privacy_statement, name="institute_privacy"
    ),
    # Managing a recording (student teacher and her custodian supervisor): student_views.
    path("recordings/<uuid:recording_id>/shares/", student_views.share_add, name="recording_share"),
    path(
        "recordings/<uuid:recording_id>/shares/remove/",
        student_views.share_remove,
        name="recording_unshare",
    ),
    path(
        "recordings/<uuid:recording_id>/screenings/new/",
        student_views.screening_new,
        name="screening_new",
    ),
    path(
        "recordings/<uuid:recording_id>/screenings/<uuid:screening_id>/cancel/",
        student_views.screening_cancel,
        name="screening_cancel",
    ),
    path(
        "recordings/<uuid:recording_id>/delete/",
        student_views.recording_delete,
        name="recording_delete",
    ),
    # Notifications (notify_views.py).
    path("notifications/", notify_views.notifications, name="notifications"),
    path("notifications/read/", notify_views.notifications_read, name="notifications_read"),
]
