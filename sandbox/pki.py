"""The sandbox Kubernetes API's credentials, made at `golive-sandbox up` as a cluster's installer would.

A CA, the API server's certificate (127.0.0.1, localhost and the in-cluster names), and bearer
tokens: one for the kubeconfig golive uses, one for faults (the sandbox's admin), and golive's
ServiceAccount token, written beside the CA in the layout a pod gets at
/var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt, namespace). Files are made once per
state folder and kept, so a running emulator and the files always agree.
"""
from __future__ import annotations

import ipaddress
import json
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_ACCOUNT_NAMESPACE = "golive"
SERVICE_ACCOUNT = "golive"
USERS = {"golive": "golive-readonly", "admin": "kubernetes-admin",
         "serviceaccount": f"system:serviceaccount:{SERVICE_ACCOUNT_NAMESPACE}:{SERVICE_ACCOUNT}"}
SERVER_NAMES = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local"]


class Pki:
    def __init__(self, state: Path):
        self.dir = state / "pki"
        self.ca = self.dir / "ca.crt"
        self.cert = self.dir / "apiserver.crt"
        self.key = self.dir / "apiserver.key"
        self.tokens_file = self.dir / "tokens.json"
        self.service_account = state / "serviceaccount"  # mount at /var/run/secrets/kubernetes.io/serviceaccount

    def token(self, who: str) -> str:
        """The bearer token of "golive", "admin" or "serviceaccount"."""
        by_user = {user: token for token, user in json.loads(self.tokens_file.read_text()).items()}
        return by_user[USERS[who]]

    def ensure(self, host: str) -> "Pki":
        if not (self.ca.exists() and self.cert.exists() and self.key.exists() and self.tokens_file.exists()):
            self._make(host)
        return self

    def _make(self, host: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        now = datetime.now(timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "golive-sandbox-ca")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName(n) for n in SERVER_NAMES] + [x509.IPAddress(ipaddress.ip_address(host))]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        self.ca.write_bytes(ca.public_bytes(pem))
        self.cert.write_bytes(cert.public_bytes(pem))
        self.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.key.chmod(0o600)
        tokens = {secrets.token_urlsafe(32): user for user in USERS.values()}
        self.tokens_file.write_text(json.dumps(tokens, indent=2))
        self.tokens_file.chmod(0o600)
        self.service_account.mkdir(parents=True, exist_ok=True)
        (self.service_account / "ca.crt").write_bytes(self.ca.read_bytes())
        (self.service_account / "namespace").write_text(SERVICE_ACCOUNT_NAMESPACE)
        (self.service_account / "token").write_text(self.token("serviceaccount"))
