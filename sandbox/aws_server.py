"""The sandbox's AWS: moto in server mode, with EKS naming the cluster's real API server.

Real EKS answers DescribeCluster with the endpoint of the cluster's API server (what
`aws eks update-kubeconfig` writes into a kubeconfig, and what golive's preflight binds the
kubeconfig to). moto makes up a random `https://<id>.<region>.eks.amazonaws.com`; here every
cluster's endpoint is the sandbox's Kubernetes API instead, and, given `--eks-ca FILE`, its
certificateAuthority.data is that file (base64, as EKS gives it) rather than random text.
AWS Backup jobs and recovery points, which moto lacks, are added by sandbox/aws_backup.py.

Usage: python -m sandbox.aws_server --eks-endpoint URL [--eks-ca FILE] [moto_server's options]
"""
from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--eks-endpoint", required=True, help="URL every EKS cluster's endpoint is")
    parser.add_argument("--eks-ca", default=None, help="PEM file: every EKS cluster's certificate authority")
    ours, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)

    from moto.eks import models

    # moto formats the template with the region when it creates a cluster; a URL has no braces to keep.
    models.ENDPOINT_TEMPLATE = ours.eks_endpoint.replace("{", "{{").replace("}", "}}")
    if ours.eks_ca:
        created = models.Cluster.__init__
        ca = Path(ours.eks_ca)

        def with_ca(self, *args, **kwargs):
            created(self, *args, **kwargs)
            if ca.is_file():
                self.certificate_authority = {"data": base64.b64encode(ca.read_bytes()).decode()}

        models.Cluster.__init__ = with_ca

    from sandbox import aws_backup

    aws_backup.install()

    from moto.server import main as moto_main

    moto_main(rest)


if __name__ == "__main__":
    main()
