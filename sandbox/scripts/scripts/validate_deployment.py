#!/usr/bin/env python3
"""Sandbox stand-in for the team's scripts/validate_deployment.py: same flags, asks the stand-in app.

Exits 1 on any failure, like the real validator.
"""
import argparse
import json
import sys
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("-v", "--verbose", action="store_true")
parser.add_argument("-n", "--namespace", default="nba-mcp-synthesis")
parser.add_argument("-o", "--output")
for part in ("infrastructure", "secrets", "application", "monitoring"):
    parser.add_argument(f"--skip-{part}", action="store_true")
args = parser.parse_args()
results = {}
if not args.skip_application:
    try:
        with urllib.request.urlopen("http://127.0.0.1:18000/health", timeout=5) as r:
            results["application"] = json.load(r).get("status") == "healthy"
    except Exception as exc:  # noqa: BLE001 - any failure is a failed validation
        results["application"] = False
        print(f"application: {exc}", file=sys.stderr)
for name, ok in results.items():
    print(f"{name}: {'PASS' if ok else 'FAIL'}")
if args.output:
    with open(args.output, "w") as fh:
        json.dump(results, fh)
sys.exit(0 if all(results.values()) else 1)
