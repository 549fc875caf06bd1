"""The AWS gatherer classifies failures by exception class, the same way for `call` and `paginate`."""
from __future__ import annotations

import http.server
import json
import socket
import threading
from types import SimpleNamespace

import boto3
import pytest

from fixtures.aws import Aws, OperationNotListed
from golive.check import Undecidable
from golive.gather import BadData, Ledger, SourceUnavailable


class HtmlPage(http.server.BaseHTTPRequestHandler):
    """What a captive portal or a misrouted proxy answers: 200 and an HTML page."""

    def do_POST(self):  # noqa: N802 - the http.server API
        body = b"<html><body>Sign in to continue</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def html_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HtmlPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _aws(endpoint: str) -> Aws:
    cfg = SimpleNamespace(aws=SimpleNamespace(region="us-east-1", endpoint_url=endpoint))
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return Aws(session, cfg, Ledger(), (1, 2))


@pytest.mark.parametrize("ask", [
    lambda aws: aws.call("elbv2", "describe_load_balancers"),
    lambda aws: aws.paginate("elbv2", "describe_load_balancers", "LoadBalancers"),
], ids=["call", "paginate"])
def test_an_unreadable_answer_is_bad_data_naming_the_operation(html_endpoint, ask):
    with pytest.raises(BadData, match=r"AWS elbv2 at http://127.0.0.1:\d+ answered DescribeLoadBalancers with HTTP "
                                      r"200 text/html .*Sign in to continue.*, not its API.s answer"):
        ask(_aws(html_endpoint))


@pytest.mark.parametrize("ask", [
    lambda aws: aws.call("secretsmanager", "list_secrets"),
    lambda aws: aws.paginate("secretsmanager", "list_secrets", "SecretList"),
], ids=["call", "paginate"])
def test_a_refused_connection_marks_the_source_down(ask):
    aws = _aws(_closed_port())
    with pytest.raises(SourceUnavailable, match="unreachable"):
        ask(aws)
    with pytest.raises(SourceUnavailable, match="first failure"):  # the next call fails fast
        ask(aws)


def test_the_iam_policy_grants_exactly_the_operations_golive_makes():
    """deploy/iam-policy.json is generated from fixtures/aws.py OPERATIONS: nothing missing, nothing extra."""
    from fixtures.aws import iam_actions
    from tests.harness import ROOT

    policy = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
    granted = next(s for s in policy["Statement"] if s.get("Sid") == "GoliveReadOnly")
    assert sorted(granted["Action"]) == iam_actions()
    denied = next(s for s in policy["Statement"] if s["Effect"] == "Deny")["Action"]
    assert "secretsmanager:GetSecretValue" in denied


@pytest.mark.parametrize("service, operation", [("sts", "get_session_token"), ("ecr", "get_authorization_token"),
                                                ("secretsmanager", "get_secret_value"), ("s3", "get_object")])
def test_credential_minting_and_secret_reads_are_refused(service, operation):
    """Refused before any request, as golive's own error (outcome error, never the target's failure), naming
    the operation and how to add one that only reads."""
    aws = _aws(_closed_port())
    with pytest.raises(OperationNotListed) as refused:
        aws.call(service, operation)
    assert isinstance(refused.value, Undecidable)
    said = str(refused.value)
    assert said.startswith(f"golive internal error: a check called AWS {service}.{operation}, which is not in")
    assert f'add "{operation}" to OPERATIONS["{service}"]' in said and "deploy/iam-policy.json" in said
    with pytest.raises(OperationNotListed, match=f"AWS {service}.{operation},"):
        aws.paginate(service, operation, "Items")
