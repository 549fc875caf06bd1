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


@pytest.mark.parametrize("text, secret", [
    ("PaSsWoRd=hunter2-long", "hunter2-long"),  # the clues are lower case: the text is lowered to look for them
    ("pa\u017fsword=hunter2-long", "hunter2-long"),  # long s: IGNORECASE matches it as "s", no clue holds for it
    ("bearer \u00e9 then Bearer abcdefghijkl", "abcdefghijkl"),
])
def test_the_clues_that_skip_a_shape_never_skip_a_match(text, secret):
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


def test_an_object_under_a_secret_named_key_keeps_its_cause_and_loses_its_values():
    """AWS denied DescribeSecret on `.../google-api-key`: the reason stays readable, no value survives."""
    r = Redactor()
    denied = {"nba-mcp-synthesis/production/google-api-key": {"Error": {
        "Code": "AccessDeniedException", "Message": "User is not authorized to perform secretsmanager:DescribeSecret"}}}
    assert r.data(denied) == denied
    assert r.data({"password": {"value": "hunter2hunter2"}}) == {"password": {"value": REDACTED}}
    assert r.data({"token": {"meta": {"data": {"k": "v"}}}}) == {"token": {"meta": {"data": {"k": REDACTED}}}}
    assert r.data({"api_key": 1234, "secret": ["abc12345"]}) == {"api_key": REDACTED, "secret": [REDACTED]}
