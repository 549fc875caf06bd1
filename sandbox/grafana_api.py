"""Emulator of the Grafana HTTP API, for the rehearsal sandbox.

Grafana itself cannot be installed from the registries the project uses, so
this stand-in serves the part of Grafana's HTTP API that golive checks. Its
content comes from REAL Grafana provisioning files (the same files a Grafana
container would mount at /etc/grafana/provisioning):

    <provisioning>/datasources/*.yaml        data sources (apiVersion 1)
    <provisioning>/dashboards/*.yaml         dashboard providers; options.path under
                                             /etc/grafana/provisioning is mapped back
                                             to <provisioning>
    <provisioning>/alerting/*.yaml           alert rules (file provisioning format)

Invalid provisioning stops the emulator at start, with the file named.

Usage:
    python -m sandbox.grafana_api --host 127.0.0.1 --port 18300 \\
        --provisioning sandbox/provisioning/grafana --admin-password PW --token-file PATH

At start a random service-account token is written to --token-file (mode 0600).
Every API call needs ``Authorization: Bearer <token>`` or Basic ``admin:<PW>``,
else 401 {"message": "Unauthorized"}; only /api/health is open.

Served: /api/health, /api/frontend/settings, /api/search, GET/DELETE
/api/dashboards/uid/<uid>, POST /api/dashboards/db, /api/folders,
/api/datasources, GET/PUT /api/datasources/uid/<uid>,
/api/datasources/uid/<uid>/health (really queries the data source),
/api/datasources/proxy/uid/<uid>/<path> (really proxies, GET and POST),
/api/v1/provisioning/alert-rules[/<uid>], /api/org, /api/user.

Deliberate differences from Grafana, for fault injection:
  * provisioned dashboards can be deleted (Grafana refuses), so that the
    "dashboard missing" fault can be injected; POST /api/dashboards/db restores;
  * PUT on a data source merges the given fields instead of replacing the whole
    object, so a fault can repoint just its url.

Sandbox-only control (no authentication; loopback use only):
    PUT /_sandbox/admin-password {"password": "admin"}
        changes the admin password, e.g. to inject and heal the fault
        "default admin credentials accepted".
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import functools
import hmac
import json
import logging
import os
import re
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs

import flask
import yaml
from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from sandbox import emulator

log = logging.getLogger("sandbox.grafana_api")

GRAFANA_VERSION = "11.3.0"
GRAFANA_COMMIT = "sandbox"
# Where a Grafana container finds its provisioning files.
GRAFANA_PROVISIONING_ROOT = PurePosixPath("/etc/grafana/provisioning")
EXPRESSION_DATASOURCE_UID = "__expr__"  # Grafana's server-side expressions
DATASOURCE_HEALTH_TIMEOUT = 2.0
PROXY_TIMEOUT = 30.0
# Fields PUT /api/datasources/uid/<uid> may change; identity fields may not.
UPDATABLE_DATASOURCE_FIELDS = frozenset(
    {"name", "type", "access", "url", "user", "database", "basicAuth", "basicAuthUser", "withCredentials",
     "isDefault", "jsonData"}
)

ADMIN_USER = {
    "id": 1, "uid": "admin", "login": "admin", "email": "admin@localhost", "name": "admin",
    "orgId": 1, "isGrafanaAdmin": True, "isDisabled": False, "isExternal": False,
}
SERVICE_ACCOUNT_USER = {
    "id": 2, "uid": "sa-golive", "login": "sa-golive", "email": "sa-golive", "name": "golive",
    "orgId": 1, "isGrafanaAdmin": False, "isDisabled": False, "isExternal": False,
}
MAIN_ORG = {
    "id": 1, "name": "Main Org.",
    "address": {"address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": ""},
}
GENERAL_FOLDER_TITLE = "General"  # what Grafana calls "no folder"


class ProvisioningError(Exception):
    """A provisioning file Grafana would reject or ignore."""


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_uid() -> str:
    return secrets.token_hex(7)


def new_service_account_token() -> str:
    """A token shaped like Grafana's (glsa_<32 chars>_<8 hex checksum>)."""
    return f"glsa_{secrets.token_urlsafe(24)[:32]}_{secrets.token_hex(4)}"


@dataclass
class Folder:
    id: int
    uid: str
    title: str

    @property
    def url(self) -> str:
        return f"/dashboards/f/{self.uid}/{slugify(self.title)}"


@dataclass
class StoredDashboard:
    model: dict[str, Any]  # the dashboard JSON, with id, uid and version set
    folder_uid: str  # "" for the General folder
    provisioned_from: str | None  # provisioning file, None when saved through the API
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)

    @property
    def slug(self) -> str:
        return slugify(self.model["title"])

    @property
    def url(self) -> str:
        return f"/d/{self.model['uid']}/{self.slug}"


# --- provisioning -----------------------------------------------------------


def _load_yaml_files(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    documents = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ProvisioningError(f"{path}: invalid YAML: {exc}") from exc
        if not isinstance(document, dict):
            raise ProvisioningError(f"{path}: expected a mapping at the top level")
        documents.append((path, document))
    return documents


class GrafanaState:
    """Folders, dashboards, data sources and alert rules, guarded by one lock."""

    def __init__(self, provisioning_dir: Path) -> None:
        self.lock = threading.Lock()
        self._provisioning_dir = provisioning_dir
        self.folders: dict[str, Folder] = {}
        self.dashboards: dict[str, StoredDashboard] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.alert_rules: dict[str, dict[str, Any]] = {}
        self._ids: dict[str, int] = {}
        self._load_datasources(provisioning_dir / "datasources")
        self._load_dashboards(provisioning_dir / "dashboards")
        self._load_alert_rules(provisioning_dir / "alerting")

    def next_id(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def folder(self, uid: str | None, title: str) -> Folder:
        """The folder with this uid (or title), created when missing."""
        for existing in self.folders.values():
            if existing.uid == uid or (uid is None and existing.title == title):
                return existing
        created = Folder(self.next_id("folder"), uid or slugify(title), title)
        self.folders[created.uid] = created
        return created

    def _load_datasources(self, directory: Path) -> None:
        for path, document in _load_yaml_files(directory):
            for entry in document.get("datasources") or []:
                if not entry.get("name") or not entry.get("type"):
                    raise ProvisioningError(f"{path}: every data source needs a name and a type")
                uid = entry.get("uid") or new_uid()
                if uid in self.datasources:
                    raise ProvisioningError(f"{path}: data source uid {uid!r} is provisioned twice")
                self.datasources[uid] = {
                    "id": self.next_id("datasource"),
                    "uid": uid,
                    "orgId": entry.get("orgId", 1),
                    "name": entry["name"],
                    "type": entry["type"],
                    "access": entry.get("access", "proxy"),
                    "url": entry.get("url", ""),
                    "user": entry.get("user", ""),
                    "database": entry.get("database", ""),
                    "basicAuth": entry.get("basicAuth", False),
                    "basicAuthUser": entry.get("basicAuthUser", ""),
                    "withCredentials": entry.get("withCredentials", False),
                    "isDefault": entry.get("isDefault", False),
                    "jsonData": entry.get("jsonData") or {},
                    "secureJsonFields": {key: True for key in entry.get("secureJsonData") or {}},
                    "version": entry.get("version", 1),
                    # Grafana makes provisioned data sources read-only unless editable.
                    "readOnly": not entry.get("editable", False),
                }

    def _provider_path(self, configured: str) -> Path:
        path = PurePosixPath(configured)
        if path.is_relative_to(GRAFANA_PROVISIONING_ROOT):
            return self._provisioning_dir / path.relative_to(GRAFANA_PROVISIONING_ROOT)
        return Path(configured)

    def _load_dashboards(self, directory: Path) -> None:
        for path, document in _load_yaml_files(directory):
            for provider in document.get("providers") or []:
                configured = (provider.get("options") or {}).get("path")
                if provider.get("type", "file") != "file" or not configured:
                    name = provider.get("name")
                    raise ProvisioningError(f"{path}: provider {name!r} needs type file and options.path")
                title = provider.get("folder") or ""
                folder_uid = self.folder(provider.get("folderUid"), title).uid if title else ""
                dashboards_dir = self._provider_path(configured)
                if not dashboards_dir.is_dir():
                    raise ProvisioningError(f"{path}: options.path {configured} ({dashboards_dir}) is not a directory")
                for json_path in sorted(dashboards_dir.glob("*.json")):
                    self._provision_dashboard(json_path, folder_uid)

    def _provision_dashboard(self, json_path: Path, folder_uid: str) -> None:
        try:
            model = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ProvisioningError(f"{json_path}: invalid JSON: {exc}") from exc
        if not isinstance(model, dict) or not model.get("title"):
            raise ProvisioningError(f"{json_path}: a dashboard needs a title")
        uid = model.get("uid") or new_uid()
        if uid in self.dashboards:
            raise ProvisioningError(f"{json_path}: dashboard uid {uid!r} is provisioned twice")
        model.update(id=self.next_id("dashboard"), uid=uid, version=model.get("version") or 1)
        self.dashboards[uid] = StoredDashboard(model, folder_uid, provisioned_from=str(json_path))

    def _load_alert_rules(self, directory: Path) -> None:
        for path, document in _load_yaml_files(directory):
            for group in document.get("groups") or []:
                if not group.get("name") or not group.get("folder"):
                    raise ProvisioningError(f"{path}: every rule group needs a name and a folder")
                folder_uid = self.folder(None, group["folder"]).uid
                for rule in group.get("rules") or []:
                    self._provision_rule(path, group, folder_uid, rule)

    def _provision_rule(self, path: Path, group: dict[str, Any], folder_uid: str, rule: dict[str, Any]) -> None:
        where = f"{path}: rule {rule.get('uid') or rule.get('title')!r}"
        for key in ("uid", "title", "condition", "data"):
            if not rule.get(key):
                raise ProvisioningError(f"{where}: {key} is required")
        if rule["uid"] in self.alert_rules:
            raise ProvisioningError(f"{where}: uid is provisioned twice")
        ref_ids = [query.get("refId") for query in rule["data"]]
        if rule["condition"] not in ref_ids:
            raise ProvisioningError(f"{where}: condition {rule['condition']!r} is not one of the refIds {ref_ids}")
        for query in rule["data"]:
            datasource_uid = query.get("datasourceUid")
            if datasource_uid != EXPRESSION_DATASOURCE_UID and datasource_uid not in self.datasources:
                raise ProvisioningError(f"{where}: data source {datasource_uid!r} is not provisioned")
        self.alert_rules[rule["uid"]] = {
            "id": self.next_id("alert_rule"),
            "uid": rule["uid"],
            "orgID": group.get("orgId", 1),
            "folderUID": folder_uid,
            "ruleGroup": group["name"],
            "title": rule["title"],
            "condition": rule["condition"],
            "data": [
                {
                    "refId": query["refId"],
                    "queryType": query.get("queryType", ""),
                    "relativeTimeRange": query.get("relativeTimeRange") or {"from": 0, "to": 0},
                    "datasourceUid": query["datasourceUid"],
                    "model": query.get("model") or {},
                }
                for query in rule["data"]
            ],
            "updated": now_iso(),
            "noDataState": rule.get("noDataState", "NoData"),
            "execErrState": rule.get("execErrState", "Alerting"),
            "for": rule.get("for", "0s"),
            "annotations": rule.get("annotations") or {},
            "labels": rule.get("labels") or {},
            "provenance": "file",
            "isPaused": rule.get("isPaused", False),
        }


# --- API --------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    headers: Any  # http.client.HTTPMessage
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    user: dict[str, Any] | None = None

    def arg(self, name: str, default: str = "") -> str:
        return parse_qs(self.raw_query).get(name, [default])[0]

    def args(self, name: str) -> list[str]:
        return parse_qs(self.raw_query).get(name, [])

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode())


NOT_FOUND = json_reply(404, {"message": "Not found"})
UNAUTHORIZED = json_reply(401, {"message": "Unauthorized"})
BAD_REQUEST = json_reply(400, {"message": "bad request data"})


class GrafanaApi:
    def __init__(self, state: GrafanaState, admin_password: str, token: str) -> None:
        self.state = state
        self.admin_password = admin_password
        self._token = token
        # (method, Flask rule, handler, needs authentication): the routes create_app serves
        self.routes: list[tuple[str, str, Callable[[Request], Reply], bool]] = [
            ("GET", "/api/health", self.health, False),
            ("PUT", "/_sandbox/admin-password", self.set_admin_password, False),
            ("GET", "/api/frontend/settings", self.frontend_settings, True),
            ("GET", "/api/search", self.search, True),
            ("GET", "/api/dashboards/uid/<uid>", self.get_dashboard, True),
            ("DELETE", "/api/dashboards/uid/<uid>", self.delete_dashboard, True),
            ("POST", "/api/dashboards/db", self.save_dashboard, True),
            ("GET", "/api/folders", self.list_folders, True),
            ("GET", "/api/datasources", self.list_datasources, True),
            ("GET", "/api/datasources/uid/<uid>", self.get_datasource, True),
            ("PUT", "/api/datasources/uid/<uid>", self.update_datasource, True),
            ("GET", "/api/datasources/uid/<uid>/health", self.datasource_health, True),
            ("GET", "/api/datasources/proxy/uid/<uid>/<path:path>", self.proxy, True),
            ("POST", "/api/datasources/proxy/uid/<uid>/<path:path>", self.proxy, True),
            ("GET", "/api/v1/provisioning/alert-rules", self.list_alert_rules, True),
            ("GET", "/api/v1/provisioning/alert-rules/<uid>", self.get_alert_rule, True),
            ("GET", "/api/org", lambda request: json_reply(200, MAIN_ORG), True),
            ("GET", "/api/user", lambda request: json_reply(200, request.user), True),
        ]

    def authenticate(self, authorization: str | None) -> dict[str, Any] | None:
        scheme, _, credentials = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(credentials.encode(), self._token.encode()):
            return SERVICE_ACCOUNT_USER
        if scheme.lower() == "basic":
            try:
                login, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
            except ValueError:  # bad base64, or not UTF-8
                return None
            if login == ADMIN_USER["login"] and hmac.compare_digest(password.encode(), self.admin_password.encode()):
                return ADMIN_USER
        return None

    # -- server -----------------------------------------------------------------

    def health(self, request: Request) -> Reply:
        return json_reply(200, {"commit": GRAFANA_COMMIT, "database": "ok", "version": GRAFANA_VERSION})

    def set_admin_password(self, request: Request) -> Reply:
        try:
            password = request.json()["password"]
        except (ValueError, TypeError, KeyError):
            return BAD_REQUEST
        if not isinstance(password, str) or not password:
            return json_reply(400, {"message": "password must be a non-empty string"})
        self.admin_password = password
        return json_reply(200, {"message": "Admin password changed (sandbox)"})

    def frontend_settings(self, request: Request) -> Reply:
        with self.state.lock:
            datasources = list(self.state.datasources.values())
        default = next((ds["name"] for ds in datasources if ds["isDefault"]), None)
        return json_reply(
            200,
            {
                "buildInfo": {
                    "version": GRAFANA_VERSION, "commit": GRAFANA_COMMIT, "edition": "Open Source",
                    "env": "production", "hideVersion": False,
                },
                "defaultDatasource": default,
                "datasources": {
                    ds["name"]: {
                        "id": ds["id"], "uid": ds["uid"], "name": ds["name"], "type": ds["type"],
                        "url": f"/api/datasources/proxy/uid/{ds['uid']}", "isDefault": ds["isDefault"],
                    }
                    for ds in datasources
                },
            },
        )

    # -- search, folders and dashboards -----------------------------------------

    def _folder_fields(self, folder_uid: str) -> dict[str, Any]:
        folder = self.state.folders.get(folder_uid)
        if folder is None:
            return {"folderId": 0, "folderUid": "", "folderTitle": GENERAL_FOLDER_TITLE, "folderUrl": ""}
        return {"folderId": folder.id, "folderUid": folder.uid, "folderTitle": folder.title, "folderUrl": folder.url}

    def search(self, request: Request) -> Reply:
        query = request.arg("query").lower()
        tags = set(request.args("tag"))
        types = set(request.args("type"))
        folder_uids = {uid for value in request.args("folderUIDs") for uid in value.split(",") if uid}
        folder_hits: list[dict[str, Any]] = []
        dashboard_hits: list[dict[str, Any]] = []
        with self.state.lock:
            # Folders have no tags and no parent here, so tag and folder filters exclude them.
            if (not types or "dash-folder" in types) and not tags and not folder_uids:
                folder_hits = [
                    {
                        "id": f.id, "uid": f.uid, "title": f.title, "uri": f"db/{slugify(f.title)}", "url": f.url,
                        "slug": "", "type": "dash-folder", "tags": [], "isStarred": False, "sortMeta": 0,
                    }
                    for f in self.state.folders.values()
                    if query in f.title.lower()
                ]
            if not types or "dash-db" in types:
                for stored in self.state.dashboards.values():
                    model = stored.model
                    if query not in model["title"].lower() or not tags <= set(model.get("tags") or []):
                        continue
                    if folder_uids and stored.folder_uid not in folder_uids:
                        continue
                    dashboard_hits.append(
                        {
                            "id": model["id"], "uid": model["uid"], "title": model["title"],
                            "uri": f"db/{stored.slug}", "url": stored.url, "slug": "", "type": "dash-db",
                            "tags": model.get("tags") or [], "isStarred": False, "sortMeta": 0,
                            **self._folder_fields(stored.folder_uid),
                        }
                    )

        def by_title(hit: dict[str, Any]) -> str:
            return hit["title"].lower()

        return json_reply(200, sorted(folder_hits, key=by_title) + sorted(dashboard_hits, key=by_title))

    def list_folders(self, request: Request) -> Reply:
        with self.state.lock:
            folders = [{"id": f.id, "uid": f.uid, "title": f.title} for f in self.state.folders.values()]
        return json_reply(200, sorted(folders, key=lambda f: f["title"].lower()))

    def get_dashboard(self, request: Request) -> Reply:
        with self.state.lock:
            stored = self.state.dashboards.get(request.params["uid"])
            if stored is None:
                return json_reply(404, {"message": "Dashboard not found"})
            author = ADMIN_USER["login"]
            meta = {
                "type": "db", "canSave": True, "canEdit": True, "canAdmin": True, "canStar": True,
                "canDelete": True, "slug": stored.slug, "url": stored.url, "expires": "0001-01-01T00:00:00Z",
                "created": stored.created, "updated": stored.updated, "createdBy": author, "updatedBy": author,
                "version": stored.model["version"], "hasAcl": False, "isFolder": False,
                "provisioned": stored.provisioned_from is not None,
                "provisionedExternalId": Path(stored.provisioned_from).name if stored.provisioned_from else "",
                **self._folder_fields(stored.folder_uid),
            }
            return json_reply(200, {"dashboard": stored.model, "meta": meta})

    def delete_dashboard(self, request: Request) -> Reply:
        with self.state.lock:
            stored = self.state.dashboards.pop(request.params["uid"], None)
        if stored is None:
            return json_reply(404, {"message": "Dashboard not found"})
        model = stored.model
        return json_reply(
            200, {"title": model["title"], "message": f"Dashboard {model['title']} deleted", "id": model["id"],
                  "uid": model["uid"]}
        )

    def save_dashboard(self, request: Request) -> Reply:
        try:
            body = request.json()
            model = dict(body["dashboard"])
        except (ValueError, TypeError, KeyError):
            return BAD_REQUEST
        title = model.get("title")
        if not isinstance(title, str) or not title.strip():
            return json_reply(400, {"message": "Dashboard title cannot be empty", "status": "empty-name"})
        folder_uid = body.get("folderUid") or ""
        overwrite = bool(body.get("overwrite"))
        with self.state.lock:
            if folder_uid and folder_uid not in self.state.folders:
                return json_reply(400, {"message": "Folder not found", "status": "not-found"})
            uid = model.get("uid") or new_uid()
            existing = self.state.dashboards.get(uid)
            if existing and not overwrite and model.get("version") != existing.model["version"]:
                return json_reply(
                    412, {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}
                )
            same_name = any(
                other.model["title"].lower() == title.lower() and other.folder_uid == folder_uid
                for other_uid, other in self.state.dashboards.items()
                if other_uid != uid
            )
            if same_name and not overwrite:
                message = "A dashboard with the same name in the folder already exists"
                return json_reply(412, {"message": message, "status": "name-exists"})
            model.update(
                id=existing.model["id"] if existing else self.state.next_id("dashboard"),
                uid=uid,
                version=existing.model["version"] + 1 if existing else 1,
            )
            stored = StoredDashboard(
                model,
                folder_uid,
                # Saving over a provisioned dashboard keeps its provisioning link, as in Grafana.
                provisioned_from=existing.provisioned_from if existing else None,
                created=existing.created if existing else now_iso(),
            )
            self.state.dashboards[uid] = stored
        return json_reply(
            200,
            {
                "id": model["id"], "uid": uid, "url": stored.url, "status": "success",
                "version": model["version"], "slug": stored.slug, "folderUid": folder_uid,
            },
        )

    # -- data sources -------------------------------------------------------------

    def _datasource(self, uid: str) -> dict[str, Any] | None:
        """A copy of the data source, safe to use outside the lock."""
        with self.state.lock:
            datasource = self.state.datasources.get(uid)
            return copy.deepcopy(datasource)

    def list_datasources(self, request: Request) -> Reply:
        with self.state.lock:
            return json_reply(200, sorted(self.state.datasources.values(), key=lambda ds: ds["name"].lower()))

    def get_datasource(self, request: Request) -> Reply:
        datasource = self._datasource(request.params["uid"])
        if datasource is None:
            return json_reply(404, {"message": "Data source not found"})
        return json_reply(200, datasource)

    def update_datasource(self, request: Request) -> Reply:
        try:
            changes = request.json()
        except ValueError:
            return BAD_REQUEST
        if not isinstance(changes, dict):
            return BAD_REQUEST
        with self.state.lock:
            datasource = self.state.datasources.get(request.params["uid"])
            if datasource is None:
                return json_reply(404, {"message": "Data source not found"})
            if datasource["readOnly"]:
                return json_reply(403, {"message": "Cannot update read-only data source"})
            datasource.update({key: value for key, value in changes.items() if key in UPDATABLE_DATASOURCE_FIELDS})
            datasource["version"] += 1
            return json_reply(
                200,
                {"datasource": datasource, "id": datasource["id"], "message": "Datasource updated",
                 "name": datasource["name"]},
            )

    def datasource_health(self, request: Request) -> Reply:
        datasource = self._datasource(request.params["uid"])
        if datasource is None:
            return json_reply(404, {"message": "Data source not found"})
        if datasource["type"] != "prometheus":
            message = f"health check not supported for {datasource['type']}"
            return json_reply(400, {"status": "ERROR", "message": message})
        url = f"{datasource['url'].rstrip('/')}/api/v1/query?query=1%2B1"
        try:
            with urllib.request.urlopen(url, timeout=DATASOURCE_HEALTH_TIMEOUT) as response:
                answer = json.load(response)
            if answer.get("status") != "success":
                raise ValueError(f"unexpected answer {answer}")
        except (OSError, ValueError) as exc:  # OSError covers refused, timeouts and HTTP errors
            message = f"{exc} - There was an error returned querying the Prometheus API."
            return json_reply(400, {"status": "ERROR", "message": message})
        return json_reply(200, {"status": "OK", "message": "Successfully queried the Prometheus API."})

    def proxy(self, request: Request) -> Reply:
        datasource = self._datasource(request.params["uid"])
        if datasource is None:
            return json_reply(404, {"message": "Data source not found"})
        target = f"{datasource['url'].rstrip('/')}/{request.params['path']}"
        if request.raw_query:
            target += f"?{request.raw_query}"
        headers = {"Content-Type": request.headers.get("Content-Type")} if request.headers.get("Content-Type") else {}
        upstream = urllib.request.Request(
            target, data=request.body if request.method == "POST" else None, headers=headers, method=request.method
        )
        try:
            with urllib.request.urlopen(upstream, timeout=PROXY_TIMEOUT) as response:
                return Reply(response.status, response.read(), response.headers.get_content_type())
        except urllib.error.HTTPError as exc:  # the data source's own error answer, passed through
            with exc:
                return Reply(exc.code, exc.read(), exc.headers.get_content_type())
        except OSError as exc:
            return json_reply(502, {"message": f"Bad Gateway: {exc}"})

    # -- alert rules --------------------------------------------------------------

    def list_alert_rules(self, request: Request) -> Reply:
        with self.state.lock:
            return json_reply(200, list(self.state.alert_rules.values()))

    def get_alert_rule(self, request: Request) -> Reply:
        with self.state.lock:
            rule = self.state.alert_rules.get(request.params["uid"])
            if rule is None:
                return json_reply(404, {"message": "Alert rule not found"})
            return json_reply(200, rule)


# --- HTTP -------------------------------------------------------------------


def create_app(api: GrafanaApi) -> Flask:
    """The routes (Flask, as the sandbox's other emulators): each handler answers from GrafanaState; what no
    route serves is Grafana's 404 {"message": "Not found"}."""
    app = Flask("golive-grafana-api")
    app.url_map.merge_slashes = False

    def reply(answer: Reply) -> Response:
        return Response(answer.body, answer.status, content_type=answer.content_type)

    @app.errorhandler(HTTPException)
    def not_found(exc):  # Grafana answers an unknown route or method with its JSON 404
        return reply(NOT_FOUND)

    def view(handler, needs_auth, **params):
        asked = Request(flask.request.method, flask.request.path, flask.request.query_string.decode(),
                        flask.request.headers, flask.request.get_data(), params)
        if needs_auth:
            asked.user = api.authenticate(flask.request.headers.get("Authorization"))
            if asked.user is None:
                return reply(UNAUTHORIZED)
        return reply(handler(asked))

    for method, rule, handler, needs_auth in api.routes:
        endpoint = functools.partial(view, handler, needs_auth)
        app.add_url_rule(rule, f"{method} {rule}", endpoint, methods=[method])
        if rule.endswith("/<path:path>"):  # the proxied path may be empty
            app.add_url_rule(rule[: -len("<path:path>")], f"{method} {rule} (root)", endpoint, methods=[method],
                             defaults={"path": ""})
    return app


def write_token_file(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the mode given to os.open does not apply to an existing file
    with os.fdopen(fd, "w", encoding="ascii") as token_file:
        token_file.write(token + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18300)
    parser.add_argument("--provisioning", type=Path, required=True, help="Grafana provisioning directory")
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--token-file", type=Path, required=True, help="where to write the service-account token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    try:
        state = GrafanaState(args.provisioning.resolve())
    except ProvisioningError as exc:
        parser.exit(2, f"invalid Grafana provisioning: {exc}\n")
    token = new_service_account_token()
    write_token_file(args.token_file, token)
    server = emulator.server(args.host, args.port, create_app(GrafanaApi(state, args.admin_password, token)))
    log.info(
        "Grafana %s API emulator on http://%s:%d: %d dashboards, %d data sources, %d alert rules",
        GRAFANA_VERSION, args.host, args.port, len(state.dashboards), len(state.datasources), len(state.alert_rules),
    )
    emulator.serve(server)


if __name__ == "__main__":
    main()
