def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_pages_ask_anonymous_visitors_to_log_in(client, db):
    response = client.get("/controls/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
