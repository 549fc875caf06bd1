"""The runbook catalogue: the team's go-live runbook parsed into leaves with stable IDs.

A leaf is what one test signs off: a checkbox without sub-items, each sub-item of a checkbox,
each command of a code block under a task, each Success Criteria and Communication bullet,
each pre/post go-live checklist item and overall success criterion, each emergency contact, each line of
the Critical Issue Response, each row of the Rollback Decision Matrix, and each communication template.

IDs read like the runbook: `<phase>/<section>/<item>`, e.g.
`t-2h/final-infrastructure-check/kubectl-get-nodes` or `t-0/phase3/verify-application/check-pod-status`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SHIPPED_RUNBOOK = Path(__file__).with_name("GO_LIVE_RUNBOOK.md")

# Timeline headings -> (ID prefix, pytest marker). Matched on the start of the "### T..." heading.
TIMELINE = {
    "T-24 Hours": ("t-24h", "t_minus_24"),
    "T-4 Hours": ("t-4h", "t_minus_4"),
    "T-2 Hours": ("t-2h", "t_minus_2"),
    "T-1 Hour": ("t-1h", "t_minus_1"),
    "T-30 Minutes": ("t-30m", "smoke"),
    "T-0": ("t-0", "t_zero"),
    "T+15 Minutes": ("t+15m", "t_plus_15"),
    "T+1 Hour": ("t+1h", "t_plus_1h"),
    "T+24 Hours": ("t+24h", "t_plus_24"),
}
# T-0's "#### Phase N: ..." subsections -> marker.
DEPLOY_PHASES = {
    "1": "phase1_infrastructure",
    "2": "phase2_secrets",
    "3": "phase3_application",
    "4": "phase4_monitoring",
}
# Top-level (##) sections outside the timeline that hold leaves -> (ID prefix, marker).
CHECKLISTS = {
    "Pre-Go-Live Checklist": ("pre", "pre_go_live"),
    "Success Criteria": ("success", "post_go_live"),
    "Post-Go-Live Checklist": ("post", "post_go_live"),
    "Emergency Procedures": ("contacts", "pre_go_live"),  # its parts set their own prefix (EMERGENCY)
}
# "### ..." parts of Emergency Procedures -> (ID prefix, marker). The Critical Issue Response is decided from
# an incident record (`golive incident`), so it runs only when selected (-m incident), never with a phase.
EMERGENCY = {
    "Critical Issue Response": ("emergency", "incident"),
    "Rollback Decision Matrix": ("emergency", "pre_go_live"),
    "Emergency Contacts": ("contacts", "pre_go_live"),
}
TEMPLATES = ("templates", "pre_go_live")  # each "#### ..." of Communication Templates is a leaf
PHASE_MARKERS = [
    ("pre_go_live", "Pre-go-live checklist, emergency contacts"),
    ("t_minus_24", "T-24 Hours: Final Pre-Checks"),
    ("t_minus_4", "T-4 Hours: Team Briefing"),
    ("t_minus_2", "T-2 Hours: Infrastructure Verification"),
    ("t_minus_1", "T-1 Hour: Deploy to Staging"),
    ("smoke", "T-30 Minutes: Final Smoke Tests"),
    ("t_zero", "T-0: Production Deployment (all four phases)"),
    ("phase1_infrastructure", "T-0 Phase 1: Infrastructure"),
    ("phase2_secrets", "T-0 Phase 2: Secrets Migration"),
    ("phase3_application", "T-0 Phase 3: Application Deployment"),
    ("phase4_monitoring", "T-0 Phase 4: Monitoring Setup"),
    ("t_plus_15", "T+15 Minutes: Initial Validation"),
    ("t_plus_1h", "T+1 Hour: Extended Monitoring"),
    ("t_plus_24", "T+24 Hours: Post-Launch Review"),
    ("post_go_live", "Post-go-live checklist and overall success criteria"),
    ("incident", "Emergency procedures: the Critical Issue Response, decided from an incident record (golive incident)"),
]


# ID prefix -> folder under checks/. A check lives at checks/<folder>/<sections...>/test_<section>.py.
FOLDERS = {
    "pre": "pre_go_live", "contacts": "emergency_contacts", "t-24h": "t_minus_24h", "t-4h": "t_minus_4h",
    "t-2h": "t_minus_2h", "t-1h": "t_minus_1h", "t-30m": "t_minus_30m", "t-0": "t_zero", "t+15m": "t_plus_15m",
    "t+1h": "t_plus_1h", "t+24h": "t_plus_24h", "success": "success_criteria", "post": "post_go_live",
    "emergency": "emergency", "templates": "communication_templates",
}


def check_location(item_id: str) -> tuple[str, str]:
    """Where the check for `item_id` lives: ("checks/t_minus_2h/test_resource_validation.py", "test_...")."""
    parts = item_id.split("/")
    folders = [FOLDERS[parts[0]]] + [p.replace("-", "_") for p in parts[1:-2]]
    module = "test_" + parts[-2].replace("-", "_") + ".py"
    name = parts[-1].replace("-", "_")
    return "/".join(["checks", *folders, module]), name if name.startswith("test_") else f"test_{name}"


@dataclass(frozen=True)
class Item:
    id: str
    text: str  # the runbook's own wording
    phase: str  # human phase title, e.g. "T-2 Hours: Infrastructure Verification"
    section: str  # e.g. "Final Infrastructure Check", "Success Criteria"
    markers: tuple[str, ...]
    team: tuple[str, ...]  # roles named on the phase's **Team** line
    line: int
    order: int
    is_command: bool = False


@dataclass
class Runbook:
    path: Path
    items: list[Item] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)  # "Pre-Deployment" -> body

    def __getitem__(self, item_id: str) -> Item:
        return self.by_id[item_id]

    @property
    def by_id(self) -> dict[str, Item]:
        """Every item by its ID (read it, never change it: it is built once per list of items, and every test's
        result looks its item up here)."""
        built = self.__dict__.get("_by_id")
        if built is None or built[0] is not self.items or built[1] != len(self.items):
            built = self.__dict__["_by_id"] = (self.items, len(self.items), {item.id: item for item in self.items})
        return built[2]


def slug(text: str, max_len: int = 60) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower().replace("+", " plus ")).split()
    out = ""
    for word in words:
        if out and len(out) + 1 + len(word) > max_len:
            break
        out = f"{out}-{word}" if out else word
    return out


def command_slug(command: str) -> str:
    """`aws eks describe-cluster --name X` -> aws-eks-describe-cluster; keeps lone flags (--dry-run)."""
    tokens = command.split()
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.startswith("--") and nxt is not None and not nxt.startswith("-"):
            i += 2  # an option with its value names the target, not the step
            continue
        if tok in {"python", "python3", "bash", "sh"}:
            i += 1
            continue
        tok = re.sub(r"^(\./)?scripts/", "", tok)
        kept.append(re.sub(r"\.(sh|py)$", "", tok))
        i += 1
    return slug(" ".join(kept))


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _clean(text: str) -> str:
    return _BOLD.sub(r"\1", text).strip()


def parse(path: str | Path | None = None) -> Runbook:
    path = Path(path) if path else SHIPPED_RUNBOOK
    return _parse(path.resolve(), path.read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def _parse(path: Path, text: str) -> Runbook:
    book = Runbook(path=path)
    lines = text.splitlines()
    h2 = h3 = h4 = ""
    prefix: str | None = None
    markers: tuple[str, ...] = ()
    phase_title = ""
    team: tuple[str, ...] = ()
    section = ""  # current section title used in IDs
    section_id = ""
    checkbox: tuple[str, str, int] | None = None  # (section title, section id, line) of an open checkbox
    checkbox_children = 0
    in_code = False
    template_name = ""
    template_lines: list[str] = []
    seen: set[str] = set()

    def add(text_: str, line_no: int, sec_title: str, sec_id: str, item_slug: str, is_command=False):
        base = f"{prefix}/{sec_id}/{item_slug}"
        item_id, n = base, 2
        while item_id in seen:
            item_id, n = f"{base}-{n}", n + 1
        seen.add(item_id)
        book.items.append(Item(item_id, text_, phase_title, sec_title, markers, team,
                               line_no, len(book.items), is_command))

    def close_checkbox():
        nonlocal checkbox, checkbox_children
        if checkbox and checkbox_children == 0:  # a checkbox with no sub-items is itself a leaf
            title, sec_id, line_no = checkbox
            add(title, line_no, title, sec_id, "done")
        checkbox, checkbox_children = None, 0

    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            if in_code and template_name:
                book.templates[template_name] = "\n".join(template_lines).strip("\n")
                template_name = ""
            in_code = not in_code
            template_lines = []
            continue
        if in_code:
            if h2 == "Communication Templates":
                template_lines.append(raw)
                continue
            command = line.strip()
            if checkbox and prefix and command and not command.startswith("#"):
                checkbox_children += 1
                add(command, number, checkbox[0], checkbox[1], command_slug(command), True)
            continue
        heading = re.match(r"^(#{2,4}) (.+)$", line)
        if heading:
            close_checkbox()
            level, title = len(heading.group(1)), heading.group(2).strip()
            if level == 2:
                h2, h3, h4 = title, "", ""
                prefix, markers = (CHECKLISTS[title][0], (CHECKLISTS[title][1],)) if title in CHECKLISTS else (None, ())
                phase_title, team = title, ()
                if title in ("Emergency Procedures", "Communication Templates"):
                    prefix = None  # enabled by its parts (EMERGENCY, TEMPLATES)
            elif level == 3:
                h3, h4 = title, ""
                if h2 == "Go-Live Timeline":
                    key = next((k for k in TIMELINE if title.startswith(k + ":") or title == k), None)
                    prefix, marker = TIMELINE[key] if key else (None, None)
                    markers = (marker,) if marker else ()
                    phase_title, team = title, ()
                elif h2 == "Emergency Procedures":
                    prefix, marker = EMERGENCY.get(title, (None, "pre_go_live"))
                    markers = (marker,)
                elif h2 == "Communication Templates":
                    prefix, markers = TEMPLATES[0], (TEMPLATES[1],)
                section, section_id = title, slug(title)
            elif level == 4:
                h4 = title
                if h2 == "Communication Templates":
                    template_name = title
                    add(title, number, title, section_id, slug(title))
                    continue
                phase_match = re.match(r"Phase (\d): (.+?)(?: \(|$)", title)
                if prefix == "t-0" or (h3.startswith("T-0") and phase_match):
                    if phase_match:
                        markers = ("t_zero", DEPLOY_PHASES[phase_match.group(1)])
                        section, section_id = title, f"phase{phase_match.group(1)}"
                        team = ()
                    else:
                        markers = ("t_zero",)
                        section, section_id = title, slug(title)
                else:
                    section, section_id = title, slug(title)
            continue
        if prefix is None:
            continue
        if h3 == "Critical Issue Response":  # "1. **Immediate Assessment**", then its "   - " lines
            group = re.match(r"^\d+\. (.+)$", line)
            if group:
                section = _clean(group.group(1))
                section_id = f"{slug(h3)}/{slug(section)}"
                continue
            sub = re.match(r"^\s+- (.+)$", line)
            if sub:
                add(_clean(sub.group(1)), number, section, section_id, slug(_clean(sub.group(1))))
            continue
        if h3 == "Rollback Decision Matrix":  # "| Issue Type | Severity | Action |" rows
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
            if len(cells) == 3 and cells[0] != "Issue Type" and not set(cells[0]) <= set("-: "):
                add(" | ".join(cells), number, h3, slug(h3), slug(cells[0]))
            continue
        team_line = re.match(r"^\*\*Team\*\*: (.+)$", line)
        if team_line:
            team = tuple(role.strip() for role in team_line.group(1).split(","))
            continue
        box = re.match(r"^- \[ \] (.+)$", line)
        if box:
            close_checkbox()
            title = _clean(box.group(1))
            if h2 == "Go-Live Timeline" and h4 == "Tasks" or (h3.startswith("T-0") and h4.startswith("Phase")):
                sec_id = slug(title) if not section_id.startswith("phase") else f"{section_id}/{slug(title)}"
                checkbox = (title, sec_id, number)
                continue
            # Checklist items (pre/post go-live, overall success criteria) are leaves themselves.
            add(title, number, section, section_id, slug(title))
            continue
        sub = re.match(r"^\s+- (.+)$", line)
        if sub and checkbox:
            checkbox_children += 1
            add(_clean(sub.group(1)), number, checkbox[0], checkbox[1], slug(_clean(sub.group(1))))
            continue
        bullet = re.match(r"^- (.+)$", line)
        if bullet and h4 in {"Success Criteria", "Communication"}:
            close_checkbox()
            add(_clean(bullet.group(1)), number, h4, slug(h4), slug(_clean(bullet.group(1))))
            continue
        if bullet and prefix == "contacts":
            text_ = _clean(bullet.group(1))
            role = text_.split(":")[0]
            add(text_, number, section if not h4 else h4, slug(h4 or section), slug(role))
    close_checkbox()
    return book


def load(path: str | Path | None = None) -> Runbook:
    return parse(path)
