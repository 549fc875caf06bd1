"""fixtures/logins.py: refusals remembered for Grafana's lockout window, on disk, without the passwords."""
from __future__ import annotations

from fixtures.logins import RefusedLogins

GRAFANA = "https://grafana.example"
WINDOW = 300


def test_a_refusal_is_recalled_within_the_window_and_forgotten_after(tmp_path):
    noted = RefusedLogins(tmp_path, WINDOW)
    noted.note(GRAFANA, "admin", "admin:admin", 401, at=1000.0)
    again = RefusedLogins(tmp_path, WINDOW)  # another run on the same machine
    refusal = again.recall(GRAFANA, "admin", "admin:admin", now=1000.0 + WINDOW - 1)
    assert refusal is not None and refusal.status == 401
    assert refusal.said(now=1125.0).endswith("UTC, 125 s ago")
    assert again.recall(GRAFANA, "admin", "admin:admin", now=1000.0 + WINDOW) is None  # tried again from here


def test_only_that_login_at_that_endpoint_is_recalled(tmp_path):
    noted = RefusedLogins(tmp_path, WINDOW)
    noted.note(GRAFANA, "admin", "admin:admin", 401, at=1000.0)
    assert noted.recall(GRAFANA, "admin", "admin:prom-operator", now=1001.0) is None
    assert noted.recall("https://other.example", "admin", "admin:admin", now=1001.0) is None


def test_an_answer_other_than_a_refusal_is_never_remembered_and_forgets_the_refusal(tmp_path):
    noted = RefusedLogins(tmp_path, WINDOW)
    noted.note(GRAFANA, "admin", "admin:admin", 401, at=1000.0)
    noted.note(GRAFANA, "admin", "admin:admin", 200, at=1010.0)  # accepted: the password changed to it
    noted.note(GRAFANA, "admin", "admin:prom-operator", 500, at=1010.0)
    assert noted.recall(GRAFANA, "admin", "admin:admin", now=1011.0) is None
    assert noted.recall(GRAFANA, "admin", "admin:prom-operator", now=1011.0) is None


def test_the_file_holds_no_password(tmp_path):
    RefusedLogins(tmp_path, WINDOW).note(GRAFANA, "admin", "admin:s3cret-weak", 401, at=1000.0)
    (kept,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert "s3cret-weak" not in kept.read_text() and "admin" in kept.read_text()


def test_a_folder_that_cannot_be_written_remembers_nothing_and_says_why(tmp_path):
    (tmp_path / "a-file").write_text("")
    noted = RefusedLogins(tmp_path / "a-file" / "golive", WINDOW)  # not a folder, even for root
    noted.note(GRAFANA, "admin", "admin:admin", 401, at=1000.0)
    assert noted.recall(GRAFANA, "admin", "admin:admin", now=1001.0) is None
    assert "cannot be written" in (noted.unusable or "")


def test_a_damaged_file_is_an_empty_memory(tmp_path):
    (tmp_path / "refused-logins.json").write_text("{not json")
    noted = RefusedLogins(tmp_path, WINDOW)
    assert noted.recall(GRAFANA, "admin", "admin:admin", now=1001.0) is None
    noted.note(GRAFANA, "admin", "admin:admin", 401, at=1000.0)
    assert noted.recall(GRAFANA, "admin", "admin:admin", now=1001.0) is not None
