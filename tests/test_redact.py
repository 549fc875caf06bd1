"""The redaction layer: secret shapes go, the names an on-call engineer needs stay."""
import pytest

from golive.redact import REDACTED, Redactor


@pytest.mark.parametrize("text, secret", [
    ("password=hunter2-long", "hunter2-long"),
    ('{"api_key": "abc12345678"}', "abc12345678"),
    ("AWS key AKIAABCDEFGHIJKLMNOP leaked", "AKIAABCDEFGHIJKLMNOP"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "T000/B000/XXXXXXXX"),
    ("Authorization: Bearer glsa_abcdefghijklmnopqrstuvwxyz012345", "glsa_abcdefghijklmnopqrstuvwxyz012345"),
])
def test_secret_shapes_are_redacted(text, secret):
    out = Redactor().text(text)
    assert secret not in out and REDACTED in out


def test_known_values_are_redacted_wherever_they_appear():
    assert "golive-canary-openai-api-key" not in Redactor(["golive-canary-openai-api-key"]).text(
        "the app said: invalid key golive-canary-openai-api-key")


@pytest.mark.parametrize("text", [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:nba-mcp-synthesis/production/database-password-AbCdEf",
    "ExternalSecret nba-mcp-synthesis-secrets: SecretSynced",
    "secret_store aws-secrets-manager is Ready",
])
def test_names_stay_readable(text):
    assert Redactor().text(text) == text
