from support.personas import Api


def test_health_needs_no_authentication(db):
    response = Api().get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_document_lists_full_paths(db):
    response = Api().get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    # Every path of the contract that is built so far, written out in full.
    for path in (
        "/api/v1/health",
        "/api/v1/auth/token",
        "/api/v1/schools",
        "/api/v1/users",
        "/api/v1/student-teachers/{username}",
        "/api/v1/me/guidelines",
        "/api/v1/audit",
        "/api/v1/pupils",
        "/api/v1/pupils/{pupil_id}/consent",
        "/api/v1/pupils/{pupil_id}/consent/withdraw",
        "/api/v1/recordings",
        "/api/v1/recordings/{recording_id}",
        "/api/v1/recordings/{recording_id}/stream",
        "/api/v1/recordings/{recording_id}/shares",
        "/api/v1/recordings/{recording_id}/shares/{username}",
        "/api/v1/recordings/{recording_id}/screenings",
        "/api/v1/recordings/{recording_id}/comments",
        "/api/v1/recordings/{recording_id}/legal-hold",
    ):
        assert path in paths
    upload = paths["/api/v1/recordings"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


def test_interactive_docs_load_their_assets_locally(db):
    response = Api().get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_unknown_token_is_401_with_detail(db):
    response = Api("not-a-token").get("/me")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_missing_token_is_401(db):
    assert Api().get("/me").status_code == 401
