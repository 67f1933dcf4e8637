"""The OpenAPI document lists every error code an operation answers (schemathesis holds
every response to it, tests/test_api_fuzz.py), and a body that is no JSON is 422."""

from django.test import Client

from support.personas import login


def openapi() -> dict:
    return Client().get("/api/v1/openapi.json").json()


def test_every_operation_documents_its_errors_with_the_error_schema(db):
    document = openapi()
    assert document["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            if operation.get("security"):
                assert {"401", "429"} <= set(responses), (method, path)
            for code, response in responses.items():
                if int(code) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_the_rate_limit_is_documented_with_retry_after(db):
    limited = openapi()["paths"]["/api/v1/me"]["get"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]


def test_path_ids_may_be_404_and_changes_may_be_409(db):
    paths = openapi()["paths"]
    assert "404" in paths["/api/v1/recordings/{recording_id}"]["get"]["responses"]
    assert "409" in paths["/api/v1/recordings/{recording_id}/stream"]["get"]["responses"]
    assert "409" in paths["/api/v1/users/{username}/deactivate"]["post"]["responses"]
    assert "404" not in paths["/api/v1/me"]["get"]["responses"]
    assert "401" not in paths["/api/v1/health"]["get"]["responses"]


def test_requests_with_a_body_may_be_too_large(db):
    paths = openapi()["paths"]
    assert "413" in paths["/api/v1/recordings"]["post"]["responses"]
    assert "413" in paths["/api/v1/uploads"]["post"]["responses"]
    assert "413" in paths["/api/v1/uploads/{upload_id}"]["put"]["responses"]
    assert "413" not in paths["/api/v1/recordings/{recording_id}"]["get"]["responses"]


def test_a_body_that_is_no_json_is_422(world):
    api = login("anna")
    response = api.client.post(
        "/api/v1/schools",
        data=b"\x00{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "The request body is not valid JSON."}
