"""The stand-ins' provisioning rendered from the sandbox environment: sandbox/provisioning spells the reference
names and ports (golive.toml's [environments.sandbox] as shipped); each the environment sets differently is
replaced in the copy the stand-in runs from (the state folder; faults edit that copy, never the repository).

Rendered: every 127.0.0.1 port (each stand-in's, from stack.config_ports), the app's job (prometheus.app_job) and
its namespace label (kubernetes.app_namespace), the first rule group (prometheus.rule_groups), Alertmanager's chat
and paging receivers and Slack channel, and Grafana's dashboard uids (grafana.dashboards, in order).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

# What the shipped files spell.
SPELLED_PORTS = {"aws": 18500, "kubernetes": 18443, "prometheus": 18090, "alertmanager": 18093, "grafana": 18300,
                 "app": 18000, "app_metrics": 18001, "webhook": 18055, "postgres": 18432,
                 "kube_state_metrics": 18081}
SPELLED_JOB = "nba-mcp-synthesis"  # prometheus.app_job
SPELLED_NAMESPACE = "nba-mcp-synthesis"  # kubernetes.app_namespace, the scraped series' namespace label
SPELLED_RULE_GROUP = "nba-mcp-synthesis.rules"  # prometheus.rule_groups[0]
SPELLED_CHAT, SPELLED_PAGING = "slack-notifications", "pagerduty-critical"  # alertmanager.*_receiver
SPELLED_CHANNEL = "#nba-mcp-synthesis-alerts"  # alertmanager.slack_channel
SPELLED_DASHBOARDS = ("nba-mcp-overview", "nba-mcp-secrets-health", "nba-mcp-cluster")  # grafana.dashboards


def substitutions(cfg, ports: dict[str, int]) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement) pairs, each anchored to where the spelled name stands (a job name is also a prefix
    of other names)."""
    found = [(re.compile(rf"127\.0\.0\.1:{spelled}\b"), f"127.0.0.1:{ports[name]}")
             for name, spelled in SPELLED_PORTS.items() if ports[name] != spelled]

    def value(pattern: str, spelled: str, configured: str) -> None:
        if configured != spelled:
            found.append((re.compile(pattern.format(re.escape(spelled)), re.MULTILINE), rf"\g<1>{configured}\g<2>"))

    job = cfg.prometheus.app_job
    value(r'(job=\\?"){}(\\?")', SPELLED_JOB, job)  # PromQL, also inside JSON strings
    value(r"(^\s*-?\s*job_name:\s*){}()$", SPELLED_JOB, job)
    value(r"(^\s*namespace:\s*){}()$", SPELLED_NAMESPACE, cfg.kubernetes.app_namespace)
    value(r"(^\s*-?\s*name:\s*){}()$", SPELLED_RULE_GROUP, cfg.prometheus.rule_groups[0])
    for spelled, configured in ((SPELLED_CHAT, cfg.alertmanager.chat_receiver),
                                (SPELLED_PAGING, cfg.alertmanager.paging_receiver)):
        value(r"(^\s*-?\s*(?:receiver|name):\s*){}()$", spelled, configured)
    value(r"(channel:\s*'){}(')", SPELLED_CHANNEL, cfg.alertmanager.slack_channel)
    for spelled, configured in zip(SPELLED_DASHBOARDS, cfg.grafana.dashboards):
        value(r'("uid":\s*"){}(")', spelled, configured)
    return found


def render_text(text: str, rules: list[tuple[re.Pattern, str]]) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def copy_tree(source: Path, target: Path, cfg, ports: dict[str, int]) -> Path:
    """SOURCE's files, rendered for this environment, at TARGET (replaced)."""
    rules = substitutions(cfg, ports)
    shutil.rmtree(target, ignore_errors=True)
    for path in sorted(source.rglob("*")):
        if path.is_file():
            out = target / path.relative_to(source)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_text(path.read_text(), rules))
    return target
