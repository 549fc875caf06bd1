"""The redaction layer in front of every artifact: HTML, JUnit, JSON, logs and captured output.

golive never reads secret values, but a failing check can still quote one (an app error that
prints its DSN, a token in an alert annotation, a captured log line). Three nets, applied once,
where a test's result enters the run model (golive/results.py `entry`), before any reporter or
pytest-xdist sees it; log records pass `LogFilter` on their way to pytest's log sinks:

- known values: secrets golive itself holds (the values of environment variables named like
  *PASSWORD/*SECRET/*TOKEN/*API_KEY, the Grafana token file, the attestation key, the AWS
  credentials file) and the environment's `redact_patterns` (golive.toml; the sandbox's canaries);
- patterns of well-known secret shapes: AWS access key IDs, `sk-...` API keys, Slack tokens and
  webhook URLs, bearer tokens, `password=...`, credentials in URLs, private keys, JWTs;
- structure: any scalar under a key named like *password*, *secret*, *token*, *api_key*, and the
  value fields of an object under such a key (its error messages and metadata stay readable).
"""
from __future__ import annotations

import configparser
import functools
import logging
import os
import re

from golive.attest import KEY_ENV

REDACTED = "[REDACTED]"
MEMO_ENTRIES, MEMO_MAX_LENGTH = 4096, 2048  # the redactions kept per run: at most 8 MB
MIN_KNOWN_LENGTH = 8  # shorter "secrets" (the sandbox's AWS key "testing") would blank ordinary words

# A name that holds a secret ends with one of these words ("secret_store" or "token_env" do not).
_SECRET_WORD = (r"(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|"
                r"private[_-]?key|credentials?|authorization|webhook[_-]?url|dsn)")
SECRET_KEY = re.compile(_SECRET_WORD + r"$", re.IGNORECASE)
# Fields that hold a secret's value inside an object under a secret-named key (lower case, no "_").
VALUE_FIELDS = {"value", "secretstring", "secretbinary", "data", "stringdata", "plaintext", "binarydata"}
_VALUE = r"[^\s\"'<>&,;)}\]\\]+"  # stops at quotes, escapes and markup: JSON, XML and HTML stay well-formed

# Each shape with its clues: lower-case text one of which any match contains, so that a string holding none of
# them skips the regex (most strings hold none; the regexes, the last one most, cost far more than `in`).
PATTERNS: list[tuple[re.Pattern, str, tuple[str, ...]]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), REDACTED,
     ("private key-----",)),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), REDACTED, ("akia", "asia")),  # AWS access key IDs
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), REDACTED, ("sk-",)),  # OpenAI / Anthropic / DeepSeek keys
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), REDACTED, ("aiza",)),  # Google API keys
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), REDACTED, ("xox",)),  # Slack tokens
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"), "https://hooks.slack.com/services/" + REDACTED,
     ("https://hooks.slack.com/services/",)),
    (re.compile(r"\blin_(?:api|oauth)_[A-Za-z0-9]{20,}"), REDACTED, ("lin_",)),  # Linear
    (re.compile(r"\bgl(?:sa|c)_[A-Za-z0-9_]{20,}"), REDACTED, ("glsa_", "glc_")),  # Grafana service-account / cloud tokens
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), REDACTED, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),  # GitHub
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), REDACTED, ("eyj",)),  # JWT
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=\-]{8,}"), r"\1\2" + REDACTED, ("bearer", "basic")),
    # user:password@ in URLs and DSNs
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@\"'<>]+):([^\s@/\"'<>]+)@"), r"\1:" + REDACTED + "@", ("://",)),
    # password=..., api_key: ..., "token": "...", AWS_SECRET_ACCESS_KEY=...; not an ARN's ":secret:" segment
    (re.compile(r"(?i)(?<!:)(\b[\w.\-]*" + _SECRET_WORD + r"(?:\\?[\"'])?\s*[=:]\s*(?:\\?[\"'])?)(?!\[REDACTED\])" + _VALUE),
     r"\1" + REDACTED, ("password", "passwd", "secret", "token", "key", "credential", "authorization", "webhook", "dsn")),
]
ANY_CLUE = re.compile("|".join(re.escape(clue) for _, _, clues in PATTERNS for clue in clues))


class Redactor:
    def __init__(self, known: tuple[str, ...] | list[str] = (), patterns: tuple[str, ...] | list[str] = ()):
        values = sorted({v for v in known if v and len(v) >= MIN_KNOWN_LENGTH}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(v) for v in values)) if values else None
        self._extra = [re.compile(p) for p in patterns]
        self._done: dict[str, str] = {}  # text -> its redaction: the same call lines and names recur on many rows

    def text(self, value: str) -> str:
        done = self._done.get(value)
        if done is None:
            done = self._text(value)
            if len(value) <= MEMO_MAX_LENGTH and len(self._done) < MEMO_ENTRIES:
                self._done[value] = done
        return done

    def _text(self, value: str) -> str:
        if self._known is not None:
            value = self._known.sub(REDACTED, value)
        for pattern in self._extra:
            value = pattern.sub(REDACTED, value)
        # The clues hold for ASCII text only: under IGNORECASE a regex also matches some other letters ("ſ" as "s").
        clued = value.isascii()
        lower = value.lower() if clued else ""
        if clued and not ANY_CLUE.search(lower):
            return value
        for pattern, replacement, clues in PATTERNS:
            if clued and not any(clue in lower for clue in clues):
                continue
            value, changed = pattern.subn(replacement, value)
            if changed and clued:
                lower = value.lower()  # still ASCII: the replacements quote ASCII text
        return value

    def data(self, value, key: str = "", inside_secret: bool = False):
        """A JSON-like value with every secret-looking string, and every value under a secret-named key, redacted.

        Under a secret-named key a scalar or a list of scalars is blanked; an object is searched
        instead, blanking the fields that carry values (`value`, `SecretString`, `data`, ...) and
        keeping the rest: `{".../google-api-key": {"Error": {"Message": "not authorized"}}}` keeps
        the cause readable, since the key names a secret and the object describes it.
        """
        secret_named, value_field = _key_kind(key)
        holds_value = inside_secret and value_field
        if holds_value or (secret_named and not isinstance(value, dict)):
            return _blank(value) if value not in (None, "", True, False) else value
        if isinstance(value, dict):
            inside = inside_secret or secret_named
            return {k: self.data(v, str(k), inside) for k, v in value.items()}
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (list, tuple)):
            return [self.data(v, "", inside_secret) for v in value]
        return value

    def report(self, report) -> None:
        """Scrub a pytest TestReport/CollectReport in place: failure text, captured output and logs, extras."""
        longrepr = report.longrepr
        if longrepr is not None:
            text = str(longrepr)
            if self.text(text) != text:
                if isinstance(longrepr, str):
                    report.longrepr = self.text(longrepr)
                else:
                    _walk(longrepr, self.text, set())
                    if self.text(str(report.longrepr)) != str(report.longrepr):
                        report.longrepr = self.text(text)  # a shape the walk missed: keep the text only
        report.sections = [(title, self.text(content)) for title, content in report.sections]
        for extra in getattr(report, "extras", None) or []:
            if extra.get("format_type") in ("text", "json", "html") and isinstance(extra.get("content"), str):
                extra["content"] = self.text(extra["content"])
            elif extra.get("format_type") == "json":
                extra["content"] = self.data(extra.get("content"))


@functools.lru_cache(maxsize=4096)
def _key_kind(key: str) -> tuple[bool, bool]:
    """(names a secret, names a secret's value field): the same few keys recur in every answer."""
    return bool(key) and bool(SECRET_KEY.search(key)), key.lower().replace("_", "") in VALUE_FIELDS


def _blank(value):
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_blank(v) for v in value]
    return REDACTED


def _walk(obj, fix, seen: set[int]):
    """Rewrite every string inside pytest's failure representation objects."""
    if isinstance(obj, str):
        return fix(obj)
    if isinstance(obj, list):
        obj[:] = [_walk(v, fix, seen) for v in obj]
        return obj
    if isinstance(obj, tuple):
        return tuple(_walk(v, fix, seen) for v in obj)
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _walk(obj[k], fix, seen)
        return obj
    if hasattr(obj, "__dict__") and id(obj) not in seen:
        seen.add(id(obj))
        for name, value in list(vars(obj).items()):
            object.__setattr__(obj, name, _walk(value, fix, seen))
    return obj


def known_secrets(env=None, environ=None) -> list[str]:
    """Secret values golive itself holds: secret-named environment variables and the secret files in config."""
    environ = os.environ if environ is None else environ
    values = [v for k, v in environ.items() if SECRET_KEY.search(k) or k == KEY_ENV]
    if env is None:
        return values
    files = [env.grafana.token_file, env.attestations.key_file]
    for name in files:
        if name:
            path = env.path(name)
            if path.is_file():
                values.append(path.read_text().strip())
    if env.aws.credentials_file and env.path(env.aws.credentials_file).is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(env.path(env.aws.credentials_file))
        except configparser.Error:
            return values
        values += [v for s in parser.sections() for k, v in parser[s].items() if SECRET_KEY.search(k)]
    return values


def for_environment(env=None) -> Redactor:
    return Redactor(known_secrets(env), env.redact_patterns if env is not None else ())


class LogFilter(logging.Filter):
    """Redacts log records on their way to the live log and the log file."""

    def __init__(self, redactor: Redactor):
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redactor.text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            record.exc_text = self.redactor.text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
