"""`golive-sandbox` (or `python -m sandbox`): the rehearsal sandbox on 127.0.0.1 and its faults.

    golive-sandbox up [--config PATH] [--env NAME] [--scale] [--latency 100ms]
                      [--mcp-era handshake|stateless|both] | down | status
    golive-sandbox faults [--markdown]     every fault and the checks it must break
    golive-sandbox fault NAME              inject one fault
    golive-sandbox heal NAME               heal it (stateless: may run in another process)
    golive-sandbox load PATH... [-n NS] [--prune]  your own manifests into its Kubernetes API
    golive-sandbox unload                  put back what the loads changed

The sandbox is rendered from golive.toml's [environments.sandbox]; `up --config PATH --env NAME` (or
GOLIVE_SANDBOX_CONFIG / GOLIVE_SANDBOX_ENV) renders it from another, which later commands use until `down`.

Exit codes: 0 done (status: everything answers), 1 the sandbox failed (status: something is down),
2 bad input (an unknown command or fault).
"""
from __future__ import annotations

import argparse
import sys

import requests
import urllib3

PROG = "golive-sandbox"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, not argparse's usage block: the same shape as every other error here.
        print(f"{PROG}: {message} (see {PROG} --help)", file=sys.stderr)
        raise SystemExit(2)


def _milliseconds(text: str) -> float:
    from sandbox.latency import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _up(args) -> int:
    from sandbox import mcp_era, stack

    if args.mcp_era is not None:  # before the app starts: it reads its era there
        stack.state_dir().mkdir(parents=True, exist_ok=True)
        mcp_era.set_era(stack.state_dir(), args.mcp_era)
    stack.up()
    if args.mcp_era is not None:
        from sandbox.control import Sandbox

        Sandbox().app_faults(mcp_era=args.mcp_era)  # an app already running takes it now
        print(f"mcp era: the app serves {mcp_era.SAID[args.mcp_era]} (until `down`)")
    if args.latency is not None:
        from sandbox import latency

        latency.set_latency(stack.state_dir(), args.latency)
        print(f"latency: every request to every HTTP stand-in waits {args.latency:g} ms (until `down`)"
              if args.latency else "latency: none")
    if args.scale:
        from sandbox import scale
        from sandbox.control import Sandbox

        scale.seed(Sandbox())
    return 0


def _down(args) -> int:
    from sandbox import stack

    stack.down()
    return 0


def _status(args) -> int:
    from sandbox import stack

    rows = stack.status()
    for name, port, ok in rows:
        print(f"{name:<13} {stack.HOST}:{port:<6} {'up' if ok else 'DOWN'}")
    return 0 if all(ok for _, _, ok in rows) else 1


def _faults(args) -> int:
    from sandbox.faults import all_faults, table

    if args.markdown:
        print(table(), end="")
        return 0
    for f in all_faults().values():
        print(f"{f.name:<32} {f.description}  [breaks {', '.join(f.breaks)}]")
    return 0


def _fault_or_heal(args) -> int:
    from sandbox.control import Sandbox
    from sandbox.faults import all_faults

    faults = all_faults()
    if args.name not in faults:
        print(f"{PROG}: unknown fault {args.name!r} (see `{PROG} faults`)", file=sys.stderr)
        return 2
    fault = faults[args.name]
    injecting = args.command == "fault"
    try:
        (fault.inject if injecting else fault.heal)(Sandbox())
    except (requests.RequestException, RuntimeError, TimeoutError) as exc:
        # The stand-ins answer over HTTP: a refused connection usually means the sandbox is not up.
        print(f"{PROG}: cannot {'inject' if injecting else 'heal'} {fault.name}: {exc} "
              f"(is the sandbox up? `{PROG} status`)", file=sys.stderr)
        return 1
    print(f"{'injected' if injecting else 'healed'} {fault.name}: {fault.description}")
    return 0


def _load(args) -> int:
    from sandbox import load
    from sandbox.control import Sandbox

    try:
        loaded = Sandbox().load(args.paths, args.namespace, args.prune)
    except load.LoadError as exc:
        print(f"{PROG}: cannot load: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, load.SandboxDown) else 2
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        print(f"{PROG}: cannot load: {str(exc).splitlines()[0]} (is the sandbox up? `{PROG} status`)", file=sys.stderr)
        return 1
    for line in loaded.lines:
        print(line)
    for line in loaded.refused:
        print(f"refused {line}", file=sys.stderr)
    if loaded.changes:
        print(f"{len(loaded.changes)} object(s) loaded; `{PROG} unload` puts back what was there")
    return 1 if loaded.refused else 0


def _unload(args) -> int:
    from sandbox import load

    try:
        lines = load.outstanding().undo()
    except (load.LoadError, urllib3.exceptions.HTTPError) as exc:
        print(f"{PROG}: cannot unload: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    print(f"{len(lines)} object(s) put back" if lines else "nothing loaded")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("up", help="start every stand-in not yet answering, seeded")
    p.add_argument("--scale", action="store_true",
                   help="add 500 nodes, 10,000 pods in 50 namespaces, 500 secrets, 300 dashboards (until `down`)")
    p.add_argument("--config", metavar="PATH", help="render the sandbox from this golive.toml (until `down`)")
    p.add_argument("--env", metavar="NAME", help="... and this environment of it (default sandbox)")
    p.add_argument("--latency", type=_milliseconds, metavar="DELAY",
                   help="a fixed delay on every request at every HTTP stand-in, e.g. 100ms (0: none; until `down`)")
    p.add_argument("--mcp-era", choices=("handshake", "stateless", "both"),
                   help="the MCP protocol era the stand-in app serves (default both: clients negotiate the newest; "
                        "until `down`)")
    p.set_defaults(func=_up)
    sub.add_parser("down", help="stop what `up` started").set_defaults(func=_down)
    sub.add_parser("status", help="what answers; exit 1 if anything is down").set_defaults(func=_status)
    p = sub.add_parser("faults", help="every fault, and the checks it must break")
    p.add_argument("--markdown", action="store_true", help="the check -> fault table (docs/faults.md)")
    p.set_defaults(func=_faults)
    for command, verb in (("fault", "inject"), ("heal", "heal")):
        p = sub.add_parser(command, help=f"{verb} one fault")
        p.add_argument("name", metavar="NAME", help=f"fault name (see `{PROG} faults`)")
        p.set_defaults(func=_fault_or_heal)
    p = sub.add_parser("load", help="create or replace a team's manifests in the sandbox's Kubernetes API")
    p.add_argument("paths", nargs="+", metavar="PATH", help="YAML/JSON files or folders, kustomization folders")
    p.add_argument("-n", "--namespace", help="for objects that name none (default: kubernetes.app_namespace)")
    p.add_argument("--prune", action="store_true",
                   help="the namespace then holds only what the files declare (undeclared objects of the kinds "
                        "a team declares are deleted; `unload` puts them back)")
    p.set_defaults(func=_load)
    sub.add_parser("unload", help="put back what every `load` replaced, delete what it created").set_defaults(
        func=_unload)
    args = parser.parse_args(argv)
    if args.command == "up" and (args.config or args.env):
        import os

        os.environ["GOLIVE_SANDBOX_CONFIG"] = os.path.abspath(args.config) if args.config else ""
        os.environ["GOLIVE_SANDBOX_ENV"] = args.env or ""

    from golive.config import ConfigError

    try:
        from sandbox.stack import SandboxError  # renders its ports from the configuration
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SandboxError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
