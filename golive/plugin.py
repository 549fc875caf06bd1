"""pytest plugin: a golive run from the command line to the verdict, in the order pytest calls it.

    configure    options, markers, the environment (golive.toml), redactor, waivers, artifact paths
    collection   runbook markers and order from the catalogue, --golive-item, mutating checks left out
    each test    the evidence list (golive.check) -> results.entry per phase -> results.assemble
    the end      the verdict (golive.verdict) sets the exit code; the reporters render the Run

Installed, pytest loads it through the `golive` pytest11 entry point (`-p no:golive` opts out), before
any conftest, so its options take values in both forms wherever the paths lie; this repository's conftest.py
loads it where the installed metadata predates the entry point. A run that names an environment also gets
the gatherers (GATHERERS) and, given no test paths, the installed checks (`checks`), from any folder.
Runs that name no environment (golive's own tests) only get the markers and options. Under pytest-xdist
the workers make the fragments and the controller the rest.
"""
from __future__ import annotations

import gc
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from golive import config as configuration
from golive import coverage as cov
from golive import outcomes as o
from golive import preflight as pre
from golive import redact, results, runinfo, selection, verdict, waivers
from golive import runbook as catalogue
from golive.check import AREAS, BEFORE_DEPLOY, DECIDED, EVIDENCE, RUNNING_ITEM, NotBeforeDeploy
from golive.gather import LEDGER_KEY, Ledger, release_answers
from golive.reporters import LATEST, github, html, jsonl, junit, publish, terminal, write_text

ENV_KEY = pytest.StashKey[configuration.Environment]()
RUNBOOK_KEY = pytest.StashKey[catalogue.Runbook]()
REACHABLE_KEY = pytest.StashKey["tuple[Path, set[str] | None]"]()
BINDINGS_KEY = pytest.StashKey[tuple]()
EVIDENCE_KEY = pytest.StashKey[list]()
STATE = pytest.StashKey["GoliveRun"]()

# Gathering ahead (concurrent prefetch) is part of the plugin, loaded with it however it is loaded (in
# pytest_addoption: a name in `pytest_plugins` costs a scan of every installed package's entry points).
PREFETCH = "golive.prefetch"

# The gatherers, pytest plugins of fixtures: the checks' clients and the run's caches.
GATHERERS = (
    "fixtures.session",
    "fixtures.kubernetes",
    "fixtures.documents",
    "fixtures.aws",
    "fixtures.http",
    "fixtures.database",
    "fixtures.scripts",
    "fixtures.mcp",
    "fixtures.network",
    "fixtures.attestation",
    "fixtures.incident",
)
# pytest.ini's warnings filters, for runs from a folder without it.
WARNING_FILTERS = ("ignore::DeprecationWarning:botocore.*", "ignore::DeprecationWarning:kubernetes.*")


def pytest_addoption(parser, pluginmanager):
    pluginmanager.import_plugin(PREFETCH)
    group = parser.getgroup("golive", "golive go-live validation")
    group.addoption("--golive-env", default=None, help="environment from golive.toml (or GOLIVE_ENV)")
    group.addoption("--golive-config", default=None, help="configuration file (default golive.toml, or GOLIVE_CONFIG)")
    group.addoption("--golive-item", action="append", default=[], metavar="ID",
                    help="run only these runbook items (exact ID, or a prefix ending in '/'); repeatable")
    group.addoption("--golive-mutating", action="store_true",
                    help="also run checks that change the target (test alerts, dry-run deploys)")
    group.addoption("--golive-reports", default=None, metavar="DIR",
                    help="folder for this run's HTML, JUnit, JSONL and messages (default reports, or "
                         "GOLIVE_REPORTS_DIR); 'none': only the paths given with --html/--junitxml")
    group.addoption("--golive-waivers", default=None, metavar="PATH",
                    help="waiver file for this run (default: `waivers` of the environment in golive.toml)")
    group.addoption("--golive-manifests", action="append", default=[], metavar="PATH",
                    help="manifest mode, before the deploy: read Kubernetes objects from these files or folders "
                         "(YAML, helm template / kubectl kustomize output, a kustomization folder) instead of the "
                         "cluster; checks that cannot decide from manifests end 'not applicable before deploy'; repeatable")
    group.addoption("--golive-drift", action="append", default=[], metavar="PATH",
                    help="after the deploy: the reviewed manifests (same forms as --golive-manifests) the live "
                         "objects must match (drift: missing, undeclared, differing fields); repeatable")
    group.addoption("--golive-helm-values", action="append", default=[], metavar="PATH",
                    help="the monitoring stack's Helm values files (merged as helm -f does): the Grafana admin "
                         "password and Alertmanager's receivers are checked in them too; repeatable")
    group.addoption("--golive-iam-policies", action="append", default=[], metavar="PATH",
                    help="manifest mode: IAM roles and policies from JSON files (a Terraform plan, aws iam get-role / "
                         "get-role-policy output, <role>.trust.json) for the SecretStore-to-IRSA link; repeatable")
    group.addoption("--golive-no-preflight", action="store_true",
                    help="skip the preflight (golive's own access and the target's identity, golive/preflight.py); "
                         "the report says it was skipped")
    group.addoption("--golive-collect-all", action="store_true",
                    help="import and collect every check module, not only those the selection (-m, --golive-item) "
                         "can reach according to the runbook catalogue (golive/selection.py)")


def _requested(config) -> str | None:
    return config.getoption("--golive-env") or os.environ.get("GOLIVE_ENV")


# --- configure ---------------------------------------------------------------------------------


def reports_option(config) -> str:
    return config.getoption("--golive-reports") or os.environ.get("GOLIVE_REPORTS_DIR") or "reports"


def reports_folder(config) -> Path:
    """Where this run's artifacts and messages go (a temporary folder for --golive-reports none)."""
    folder = reports_option(config)
    if folder.lower() == "none":
        return Path(tempfile.gettempdir()) / "golive-reports"
    return Path(config.invocation_params.dir) / folder


def run_so_far(config) -> results.Run:
    """This session's results so far (the controller's model), which a template check renders from."""
    state = config.stash.get(STATE, None)
    return state.run if state is not None else results.Run()


def started(config) -> float:
    """When this run started (Unix time), for elapsed times in messages."""
    state = config.stash.get(STATE, None)
    return state.started if state is not None else time.time()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    # Before pytest-html and junitxml configure: they must not write the files golive writes.
    env_name = _requested(config)
    if env_name and not config.option.collectonly:
        state = config.stash[STATE] = GoliveRun(config)
        state.name_artifacts(env_name)


def pytest_configure(config):
    # The gatherers' frozen answers (golive.gather) are handed back to the collector at the very end: a cleanup
    # registered before pytest's unraisableexception plugin registers its own runs after it (the stack unwinds).
    config.add_cleanup(release_answers)
    for name, text in catalogue.PHASE_MARKERS:
        config.addinivalue_line("markers", f"{name}: runbook phase {text}")
    for area in AREAS:
        config.addinivalue_line("markers", f"{area}: runbook area {area}")
    config.addinivalue_line("markers", "runbook(id): the runbook leaf this test signs off")
    config.addinivalue_line("markers", "mutating: changes the target; runs only with --golive-mutating")
    config.addinivalue_line("markers", "manifests: decides from Kubernetes objects alone; runs in manifest mode too")
    env_name = _requested(config)
    if not env_name:
        return
    for spec_ in GATHERERS:
        config.pluginmanager.import_plugin(spec_)
    for line in WARNING_FILTERS:
        config.addinivalue_line("filterwarnings", line)
    _installed_checks_by_default(config)
    config.stash[ENV_KEY] = _load_env(config, env_name)
    if config.option.collectonly:
        return
    state = config.stash.get(STATE, None) or GoliveRun(config)  # xdist workers never see pytest_cmdline_main
    config.stash[STATE] = state
    state.prepare(config.stash[ENV_KEY])
    config.pluginmanager.register(state, "golive-run")
    # The terminal shows golive's summary of each failure (reporters/terminal.py), not tracebacks of
    # golive's own code; asked for explicitly (--tb, -r), pytest's own output stays.
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    if config.option.reportchars == "fE":
        config.option.reportchars = ""


def _installed_checks_by_default(config) -> None:
    """Given no test paths (nor testpaths from an ini file at the rootdir), a golive run collects golive's
    checks rather than the folder it runs in, which may hold only a golive.toml (or the team's own tests).
    Under checks/ itself, pytest's own default (that subfolder) stands."""
    if config.args_source != pytest.Config.ArgsSource.INVOCATION_DIR:
        return
    here, folder = Path(config.invocation_params.dir).resolve(), cov.checks_folder()
    if here != folder and folder not in here.parents:
        config.args[:] = [str(folder)]


def _load_env(config, env_name):
    try:
        return configuration.load(env_name, config.getoption("--golive-config"))
    except configuration.ConfigError as exc:
        raise pytest.UsageError(f"golive: {exc}") from None


def environment(config) -> configuration.Environment:
    if ENV_KEY not in config.stash:
        # Only reached when runbook items were collected: the run needs a target.
        config.stash[ENV_KEY] = _load_env(config, None)
    return config.stash[ENV_KEY]


def book(config) -> catalogue.Runbook:
    if RUNBOOK_KEY not in config.stash:
        env = config.stash.get(ENV_KEY, None)
        path = env.path(env.runbook) if env and env.runbook else None
        config.stash[RUNBOOK_KEY] = catalogue.load(path)
    return config.stash[RUNBOOK_KEY]


def item_id(item) -> str | None:
    mark = _runbook_mark(item)
    return mark.args[0] if mark else None


def spec(item):
    mark = _runbook_mark(item)
    return mark.kwargs.get("spec") if mark else None


_RUNBOOK_MARK = pytest.StashKey[object]()


def _runbook_mark(item):
    """The item's runbook mark, looked up once: `golive.check.runbook` sets it where the check is defined, and it
    is asked for a dozen times per test (get_closest_marker walks every mark of the item and its parents)."""
    stash = getattr(item, "stash", None)
    if stash is None:
        return item.get_closest_marker("runbook")
    if _RUNBOOK_MARK not in stash:
        stash[_RUNBOOK_MARK] = item.get_closest_marker("runbook")
    return stash[_RUNBOOK_MARK]


def manifest_paths(config) -> list[Path]:
    """Manifest mode's files: --golive-manifests (relative to where pytest runs), else the environment's
    `manifests.paths` (relative to golive.toml); [] means the live cluster."""
    given = config.getoption("--golive-manifests", default=[])
    if given:
        return [Path(config.invocation_params.dir) / os.path.expanduser(p) for p in given]
    env = config.stash.get(ENV_KEY, None)
    return [env.path(p) for p in env.manifests.paths] if env is not None else []


def given_paths(config, option: str, key: str) -> list[Path]:
    """The files an option names (relative to where pytest runs), else the environment's `manifests.<key>`
    (relative to golive.toml): the reviewed manifests for drift, Helm values, IAM policies."""
    given = config.getoption(option, default=[])
    if given:
        return [Path(config.invocation_params.dir) / os.path.expanduser(p) for p in given]
    env = config.stash.get(ENV_KEY, None)
    return [env.path(p) for p in getattr(env.manifests, key)] if env is not None else []


def drift_paths(config) -> list[Path]:
    """The reviewed manifests drift compares the live cluster with: --golive-drift, else `manifests.drift`."""
    return given_paths(config, "--golive-drift", "drift")


def _state(config) -> "GoliveRun | None":
    state = config.stash.get(STATE, None)
    return state if state is not None and state.env is not None else None


# --- collection --------------------------------------------------------------------------------


def reachable(config) -> tuple[Path, set[str] | None]:
    """The checks folder and the paths in it this run's selection can reach (None: all of them)."""
    if REACHABLE_KEY not in config.stash:
        checks = cov.checks_folder()
        paths = selection.narrowed(config, book(config), checks)
        if paths is not None:
            bound, broken = bindings(config, checks)
            if broken or selection.misplaced(bound, paths):
                paths = None  # a full collection names each, as pytest always has
        config.stash[REACHABLE_KEY] = checks, paths
    return config.stash[REACHABLE_KEY]


def bindings(config, checks: Path) -> tuple[dict, list[str]]:
    """Every check's runbook binding (as the last run with the same files read them, golive.coverage) and the
    check modules that could not be imported: read once a run, for the selection and the report's coverage."""
    kept = config.stash.get(BINDINGS_KEY, None)
    if kept is None or kept[0] != checks:
        broken: list[str] = []
        kept = config.stash[BINDINGS_KEY] = checks, cov.kept_bound_tests(checks, broken=broken), broken
    return kept[1], kept[2]


def pytest_ignore_collect(collection_path, config):
    # Only the check modules a selection can reach are imported and collected (golive/selection.py).
    checks, paths = reachable(config)
    if paths is not None and selection.ignored(collection_path.resolve(), checks, paths):
        return True
    return None  # the others decide (--ignore, conftest collect_ignore)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    # Success criteria import the checks they summarise; collect each check only where it is defined.
    spec_ = getattr(obj, "golive_spec", None)
    if spec_ is not None and getattr(obj, "__module__", None) != collector.obj.__name__:
        return []
    return None


def pytest_collection_modifyitems(session, config, items):
    bound = [item for item in items if item_id(item)]
    if not bound:
        return
    runbook = book(config)
    # Phase markers come from the catalogue: one source of truth for what belongs to which phase.
    for item in bound:
        leaf = runbook.by_id.get(item_id(item))
        if leaf:
            for marker in leaf.markers:
                item.add_marker(marker)
    wanted = config.getoption("--golive-item")
    if wanted:
        keep = [i for i in items if item_id(i) and any(
            item_id(i) == w or (w.endswith("/") and item_id(i).startswith(w)) for w in wanted)]
        deselected = [i for i in items if i not in keep]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = keep
    if not config.getoption("--golive-mutating"):
        # Kept as skips with their reason: the verdict names them as not run ("4 lines not run: ...").
        for item in items:
            if item.get_closest_marker("mutating"):
                item.add_marker(pytest.mark.skip(reason=o.NEEDS_MUTATING))
    # Runbook order, so a phase reads top to bottom like the runbook.
    order = {leaf.id: leaf.order for leaf in runbook.items}
    items.sort(key=lambda i: order.get(item_id(i) or "", o.UNLISTED_ORDER))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    if any(item_id(i) for i in session.items):
        environment(session.config)  # fail fast, before any test, on a missing environment


def pytest_sessionstart(session):
    session.config.stash[_DECIDED_TOKEN] = DECIDED.set({})
    session.config.stash[_MODE_TOKEN] = BEFORE_DEPLOY.set(bool(manifest_paths(session.config)))


def pytest_sessionfinish(session):
    for key, var in ((_DECIDED_TOKEN, DECIDED), (_MODE_TOKEN, BEFORE_DEPLOY)):
        token = session.config.stash.get(key, None)
        if token is not None:
            var.reset(token)
            del session.config.stash[key]


_DECIDED_TOKEN = pytest.StashKey[object]()
_MODE_TOKEN = pytest.StashKey[object]()


NEEDS_LIVE = "needs the live cluster (or what runs on it): decided after the deploy, not from manifests"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Manifest mode: a check that cannot decide from manifests stays in the run, as "not applicable before
    # deploy" (golive.outcomes.NOT_APPLICABLE), before any of its fixtures reaches for an endpoint.
    if BEFORE_DEPLOY.get() and item_id(item) and not item.get_closest_marker("manifests"):
        raise NotBeforeDeploy(NEEDS_LIVE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    evidence: list = []
    tokens = EVIDENCE.set(evidence), RUNNING_ITEM.set(item_id(item))
    try:
        return (yield)
    finally:
        item.stash[EVIDENCE_KEY] = evidence
        EVIDENCE.reset(tokens[0])
        RUNNING_ITEM.reset(tokens[1])


# --- the run: registered as a plugin for the session --------------------------------------------


class GoliveRun:
    """One process's part of a golive run, registered as a plugin: its hooks build the model and report it."""

    def __init__(self, config):
        self.config = config
        self.worker = hasattr(config, "workerinput")
        self.started = time.time()
        self.env: configuration.Environment | None = None
        self.redactor = redact.Redactor()
        self.waiver_path: Path | None = None
        self.waivers: dict[str, waivers.Waiver] = {}
        self.label = self.name = ""
        self.folder: Path | None = None  # None: --golive-reports none
        self.artifacts: dict[str, Path] = {}  # this run's own names: html, junit, jsonl
        self.user_paths: dict[str, Path] = {}  # --html / --junitxml, honoured as well
        self.run = results.Run()
        self.pending: dict[str, list] = {}
        self.broken: list[str] = []  # check modules that failed to collect
        self.stream: jsonl.Stream | None = None
        self.verdict: verdict.Verdict | None = None
        self.exit: int | None = None
        self.published: list[tuple[Path, str]] = []
        self.ledger_mark = 0
        self.preflight: pre.Preflight | None = None

    def name_artifacts(self, env_name: str) -> None:
        """Name the run and its artifacts, and take --html/--junitxml from pytest-html and junitxml."""
        config, opt = self.config, self.config.option
        self.label = runinfo.selection_label(config)
        # A run ID after the time: two runs started in the same second never share a file name.
        self.name = f"{env_name}_{self.label}_{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        folder = reports_option(config)
        if folder.lower() != "none":
            self.folder = Path.cwd() / folder
            self.artifacts = {kind: self.folder / f"{self.name}.{ext}"
                              for kind, ext in (("html", "html"), ("junit", "xml"), ("jsonl", "jsonl"))}
        # golive writes both from its model; the plugins that own the options would write their own.
        for kind, attr in (("html", "htmlpath"), ("junit", "xmlpath")):
            if getattr(opt, attr, None):
                self.user_paths[kind] = Path.cwd() / os.path.expandvars(getattr(opt, attr))
                setattr(opt, attr, None)

    def prepare(self, env) -> None:
        self.env = env
        try:
            self.redactor = redact.for_environment(env)
        except re.error as exc:
            raise pytest.UsageError(f"golive: {env.source}: environments.{env.name}.redact_patterns: {exc}") from None
        self._check_writable()
        given = self.config.getoption("--golive-waivers")
        if given and not Path(given).is_file():
            raise pytest.UsageError(f"golive: waiver file {given} not found (--golive-waivers)")
        self.waiver_path = Path(given).resolve() if given else (env.path(env.waivers) if env.waivers else None)
        try:
            self.waivers = waivers.load(self.waiver_path, book(self.config).by_id)
        except waivers.WaiverError as exc:
            raise pytest.UsageError(f"golive: {exc}") from None

    def _check_writable(self) -> None:
        """Each folder this run writes to takes a file now: a read-only path is one line, not a crash at the end."""
        if self.worker:
            return
        folders = {self.folder: "reports folder (--golive-reports or GOLIVE_REPORTS_DIR)"} if self.folder else {}
        folders.update({path.parent: f"folder of --{'html' if kind == 'html' else 'junitxml'} {path}"
                        for kind, path in self.user_paths.items()})
        for folder, what in folders.items():
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tempfile.TemporaryFile(dir=folder).close()
            except OSError as exc:
                raise pytest.UsageError(f"golive: cannot write to {folder}, the {what}: "
                                        f"{exc.strerror or type(exc).__name__}") from None

    # --- the session starts: the run record and the stream ---------------------------------------

    def pytest_sessionstart(self, session):
        if not self.worker:
            self._on_sigterm()
        logging_plugin = self.config.pluginmanager.get_plugin("logging-plugin")
        for name in ("log_cli_handler", "log_file_handler", "caplog_handler", "report_handler"):
            handler = getattr(logging_plugin, name, None)
            if handler is not None:
                handler.addFilter(redact.LogFilter(self.redactor))
        if self.worker:
            return
        self.run.facts = runinfo.facts(self.config, self.env, book(self.config), name=self.name, label=self.label,
                                       started=self.started, waiver_path=self.waiver_path, waivers=self.waivers,
                                       artifacts=self.artifacts, redactor=self.redactor)
        # What is alive now (modules, the configuration, the catalogue) lives as long as the run: out of the
        # cyclic collector's full rounds, as golive.gather does with each answer (handed back at the end).
        gc.freeze()
        # Before any check: can golive get in, and is this the configured account and cluster? Asked at
        # collection's end, of the endpoints the selection uses, while the run goes on with what does not need the
        # answer; awaited before the first check (pytest_runtest_setup). The terminal's lines wait for it too,
        # so that a stop is still one line per endpoint.
        if self.config.getoption("--golive-no-preflight"):
            self._answered(pre.skipped("--golive-no-preflight"))
        elif manifest_paths(self.config):  # before the deploy: the checks read files, no endpoint is asked
            self._answered(pre.skipped("manifest mode"))
        elif self.config.pluginmanager.hasplugin("dsession"):  # xdist: the workers collect, too late to wait for
            if self._answered(pre.run(self.env)):
                if github.active():
                    github.print_annotations(self.run)
                raise pytest.UsageError("\n".join(self.stop_lines))
        else:
            self.held = HeldOutput.hold(self.config)
            self.config.stash.setdefault(LEDGER_KEY, Ledger()).bound.clear()  # until it answers (_answered)

    asking: "pre.Asking | None" = None  # the preflight on its way
    held: "HeldOutput | None" = None  # the terminal's lines, until it has answered
    stop_lines: tuple[str, ...] | list[str] = ()  # why it stopped the run (COULD NOT RUN), one line per endpoint

    def _answered(self, preflight: pre.Preflight) -> bool:
        """The preflight has answered: the run record and the stream; True when it stops the run."""
        self.preflight, self.asking = preflight, None
        # What it found dead stays dead for the run: no check waits for it again (golive.gather).
        ledger = self.config.stash.setdefault(LEDGER_KEY, Ledger())
        ledger.dead.update(preflight.dead())
        if preflight.blocking:
            ledger.unbound = "the preflight stopped the run"
        ledger.bound.set()
        self.run.facts["preflight"] = self.redactor.data(preflight.record())
        if "jsonl" in self.artifacts:
            self.stream = jsonl.Stream(self.artifacts["jsonl"])
            self.stream.write({"type": "run", **self.run.facts})
        if preflight.blocking:
            self._could_not_run()
            return True
        if self.held is not None:
            self.held.release()
            self.held = None
        if self.run.selected is not None:  # collected meanwhile: its record follows the run's
            self._selected(self.run.nodeids)
        return False

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item):
        # Around the first check's setup (its fixtures, the prefetch's reads): then the preflight's answer.
        try:
            return (yield)
        finally:
            if self.asking is not None and self._answered(self._awaited()):
                pytest.exit("golive: the preflight stopped the run", returncode=self.exit)

    def _awaited(self) -> pre.Preflight:
        asking, self.asking = self.asking, None  # awaited once, whatever it raises
        try:
            return asking.answer()
        except BaseException:
            self._unbind("the preflight could not answer")
            raise

    def _unbind(self, why: str) -> None:
        """No answer from the preflight will come: the exchanges waiting for it are not made (golive.gather)."""
        ledger = self.config.stash.setdefault(LEDGER_KEY, Ledger())
        if not ledger.bound.is_set():
            ledger.unbound = why
            ledger.bound.set()

    def _say_stopped(self) -> None:
        """The stop's lines, as pytest prints a usage error (the run stopped inside a check's setup, or after no
        check at all, where pytest's own usage error cannot be raised)."""
        if github.active():
            github.print_annotations(self.run)
        sys.stderr.write("ERROR: " + "\n".join(self.stop_lines) + "\n\n")
        sys.stderr.flush()

    def _could_not_run(self) -> None:
        """golive cannot get in (or is pointed elsewhere): COULD NOT RUN before any check, one line per endpoint.

        The verdict and the artifacts are written here; the caller stops pytest (exit 4) with `stop_lines`.
        """
        self.stop_lines = [self.redactor.text(line) for line in self.preflight.lines()]
        if self.held is not None:  # pytest's header and collection lines say nothing here: the lines do
            self.held.discard()
        self.run.selected = 0
        self.verdict = verdict.decide([], stopped=tuple(line.removeprefix("golive: ") for line in self.stop_lines))
        self.exit = verdict.exit_code(self.verdict, verdict.USAGE_ERROR)
        self.run.summary = self._summary()
        if self.stream is not None:
            self.stream.write(self.run.summary)
            self.stream.close()
        self._write_artifacts()

    def pytest_collectreport(self, report):
        if report.failed and not self.worker:
            lines = report.longreprtext.strip().splitlines()
            last = re.sub(r"^E\s+", "", lines[-1]) if lines else "collection failed"
            if f"{report.nodeid}: {last}" not in self.broken:  # under xdist every worker reports it
                self.broken.append(f"{report.nodeid}: {last}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        if self.worker:
            return
        nodeids = [i.nodeid for i in session.items]
        if self.preflight is None and self.asking is None:
            self.run.selected, self.run.nodeids = len(nodeids), nodeids  # recorded once the preflight has answered
            self.asking = pre.Asking(self.env, pre.uses(session.items))
        else:
            self._selected(nodeids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        if self.run.selected is None:
            self._selected(list(ids))

    def _selected(self, nodeids: list[str]) -> None:
        self.run.selected, self.run.nodeids = len(nodeids), nodeids
        if self.stream is not None:
            self.stream.write({"type": "selection", "count": len(nodeids), "nodeids": nodeids})

    # --- each test: a fragment per phase (in the worker), a Result per test (in the controller) ---

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        rid = item_id(item)
        if rid is None:
            return report
        fragment = results.entry(when=report.when, spec=spec(item), runbook_id=rid, excinfo=call.excinfo,
                                 report=report, calls=self._new_calls(), redactor=self.redactor,
                                 evidence=item.stash.get(EVIDENCE_KEY, []) if report.when == "call" else None)
        # A fresh list per report: pytest shares item.user_properties between setup, call and teardown.
        report.user_properties = [p for p in report.user_properties if p[0] != results.FRAGMENT]
        report.user_properties.append((results.FRAGMENT, fragment))
        return report

    def _new_calls(self) -> list:
        """API calls the gatherers made since the last report (the ledger lives in each xdist worker)."""
        ledger = self.config.stash.get(LEDGER_KEY, None)
        if ledger is None:
            return []
        new = ledger.calls[self.ledger_mark:]
        self.ledger_mark = len(ledger.calls)
        return [[c.source, c.what, c.ok, c.seconds, c.error] for c in new]

    def pytest_runtest_logreport(self, report):
        if self.worker:
            return
        self.pending.setdefault(report.nodeid, []).append(report)
        if report.when == "teardown":
            self._finish(report.nodeid)

    def _finish(self, nodeid: str) -> None:
        result = results.assemble(nodeid, self.pending.pop(nodeid), book=book(self.config), waivers=self.waivers)
        self.run.results.append(result)
        if self.stream is not None:
            self.stream.write(result.record())

    # --- the end: verdict, exit code, summary, artifacts -----------------------------------------

    def pytest_sessionfinish(self, session):
        if self.asking is not None and self._answered(self._awaited()):  # no check's setup came
            session.exitstatus = self.exit
        elif self.preflight is None and not self.worker:  # collection stopped (a usage error) before it was asked
            self._answered(pre.skipped("the run stopped before its checks were selected"))
        if self.held is not None:  # no check came (interrupted, a usage error, none selected): pytest's lines stand
            self.held.release()
            self.held = None
        if self.stop_lines:
            self._say_stopped()
            return
        if self.worker:
            return
        for nodeid in list(self.pending):  # tests whose teardown never came (a crashed worker)
            self._finish(nodeid)
        status = int(session.exitstatus)
        self.verdict = verdict.decide(self.run.results, selected=self.run.selected, status=status,
                                      broken=tuple(self.broken), before_deploy=bool(manifest_paths(self.config)))
        self.exit = session.exitstatus = verdict.exit_code(self.verdict, status)
        self._phase_updates()
        self.run.summary = self._summary()
        if self.stream is not None:
            self.stream.write(self.run.summary)
            self.stream.close()
        self._write_artifacts()

    def _phase_updates(self) -> None:
        """During T-0: each deployment phase this run completed renders its "During Deployment" update."""
        from golive.communications import phase_updates

        folder = self.folder if self.folder is not None else reports_folder(self.config)
        self.updates = phase_updates(self.run, book(self.config), self.env, started=self.started, folder=folder,
                                     mutating=self.config.getoption("--golive-mutating"))

    updates: list = []

    def _summary(self) -> dict:
        finished = time.time()
        book_, done = book(self.config), self.run.results
        return {
            "type": "summary", "finished": results.iso(finished), "duration_s": round(finished - self.started, 3),
            "exit_code": self.exit, "verdict": results.verdict_record(self.verdict, self.exit),
            "phases": results.phases_of(done), "signoff_roles": results.signoff_roles(done, book_),
            "waivers": results.waiver_uses(self.waivers, done), "coverage": self._coverage(book_),
            "ledger": results.ledger(done), "phase_updates": self.updates,
        }

    def _coverage(self, book_) -> dict | None:
        checks = self.config.rootpath / "checks"
        if not checks.is_dir():
            return None
        try:
            bound, broken = bindings(self.config, checks.resolve())
            found = cov.Coverage(book_, bound)
        except Exception as exc:  # noqa: BLE001 - the report renders whatever a check module does
            broken = [f"{type(exc).__name__}: {exc}"]
        if broken:  # each module that cannot be imported, named
            return {"error": "; ".join(broken), "leaves": len(book_.items), "run": len(self.run.results)}
        run_by_id = {r.runbook_id: r for r in self.run.results}
        phases: dict[str, dict] = {}
        for leaf in book_.items:
            row = phases.setdefault(leaf.phase, {"phase": leaf.phase, "leaves": 0, "with_test": 0, "run": 0,
                                                 "passed": 0})
            row["leaves"] += 1
            row["with_test"] += leaf.id in found.bound
            row["run"] += leaf.id in run_by_id
            row["passed"] += leaf.id in run_by_id and run_by_id[leaf.id].outcome == o.PASSED
        return {"runbook": str(book_.path), "leaves": len(book_.items),
                "with_test": sum(p["with_test"] for p in phases.values()), "by_kind": found.counts(),
                "run": sum(p["run"] for p in phases.values()), "phases": list(phases.values())}

    def _write_artifacts(self) -> None:
        """Each reporter renders the model once; copies go to the run's name, `latest.*` and the user's paths."""
        written = {}
        target = self.artifacts.get("html") or self.user_paths.get("html")
        if target is not None:
            written["html"] = write_text(target, html.render(self.run.as_dict()))
        target = self.artifacts.get("junit") or self.user_paths.get("junit")
        if target is not None:
            # GitLab shows the page as each failing test case's attachment ([[ATTACHMENT|path]]).
            attach = junit.gitlab_attachment(written.get("html")) if junit.gitlab() else None
            written["junit"] = junit.write(self.run, target, prefix=getattr(self.config.option, "junitprefix", None),
                                           attachment=attach)
        if "jsonl" in self.artifacts:
            written["jsonl"] = self.artifacts["jsonl"]
        for kind, path in written.items():
            copies = [self.folder / LATEST[kind]] if self.folder is not None else []
            copies += [self.user_paths[kind]] if kind in self.user_paths else []
            self.published += publish(kind, path, copies)
        if github.active():  # GitHub Actions: the job summary (annotations: with the terminal's summary)
            github.write_summary(self.run, html=written.get("html"))

    def pytest_terminal_summary(self, terminalreporter):
        if self.verdict is None:
            return
        names = {c.code: c.name for c in verdict.EXIT_CODES}
        terminal.summary(terminalreporter, self.verdict, self.exit, names.get(self.exit, "pytest"),
                         self.published, self.artifacts, environment=self.env.name,
                         preflight=self.run.facts.get("preflight"), updates=self.updates)
        if github.active():  # `::error` lines, each on a line of its own, for the run's page
            github.print_annotations(self.run, terminalreporter.write_line)

    def pytest_unconfigure(self, config):
        if self.held is not None:
            self.held.release()
        if self.stream is not None:
            self.stream.close()
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)

    _previous_sigterm = None

    def _on_sigterm(self) -> None:
        """SIGTERM (what CI timeouts and `kubectl delete` send) ends the run like Ctrl-C: interrupted, with
        its verdict and every artifact written for what ran."""
        def interrupt(signum, frame):
            raise KeyboardInterrupt("SIGTERM")

        try:
            self._previous_sigterm = signal.signal(signal.SIGTERM, interrupt)
        except ValueError:  # not the main thread (golive run from inside another program): leave it
            self._previous_sigterm = None


class HeldOutput:
    """The terminal's lines kept back (pytest's header, the collection's count) until the preflight has answered:
    printed as they were when it lets the run go on, dropped when it stops the run with its one line per endpoint."""

    def __init__(self, writer):
        import io

        self.writer, self.file = writer, writer._file
        self.buffer = writer._file = io.StringIO()

    @classmethod
    def hold(cls, config) -> "HeldOutput | None":
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        writer = getattr(reporter, "_tw", None)
        return cls(writer) if writer is not None and hasattr(writer, "_file") else None

    dropped = False

    def release(self) -> None:
        if self.writer._file is self.buffer and not self.dropped:
            self.writer._file = self.file
            self.file.write(self.buffer.getvalue())
            self.file.flush()

    def discard(self) -> None:
        """Drop what is held, and whatever pytest prints after it (its summary of a session that ran nothing)."""
        self.dropped = True
        self.buffer.seek(0)
        self.buffer.truncate()
