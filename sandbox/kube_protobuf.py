"""Kubernetes protobuf request bodies, for the kinds the emulator takes them for.

kubectl's typed clients (from 1.3x: `auth can-i`, `auth can-i --list`, `auth whoami`) send
`application/vnd.kubernetes.protobuf`: the 4-byte magic `k8s\\0`, then a runtime.Unknown
(typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2), raw being the object in the kind's generated.proto
encoding. The message layouts below are those of k8s.io/api's generated.proto for the kinds read here;
fields not listed are skipped. Answers stay JSON, which these clients accept too.
"""
from __future__ import annotations

MEDIA = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

# message name -> {field number: (JSON name, message name or None for a string)}
_OBJECT_META = {1: ("name", None), 2: ("generateName", None), 3: ("namespace", None)}
MESSAGES = {
    "ObjectMeta": _OBJECT_META,
    "authorization/v1.SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SSARSpec")},
    "SSARSpec": {1: ("resourceAttributes", "ResourceAttributes"), 2: ("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", None), 2: ("verb", None), 3: ("group", None), 4: ("version", None),
                           5: ("resource", None), 6: ("subresource", None), 7: ("name", None)},
    "NonResourceAttributes": {1: ("path", None), 2: ("verb", None)},
    "authorization/v1.SelfSubjectRulesReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SSRRSpec")},
    "SSRRSpec": {1: ("namespace", None)},
    "authentication/v1.SelfSubjectReview": {1: ("metadata", "ObjectMeta")},
}


class Undecodable(ValueError):
    """Not a protobuf body the emulator reads."""


def decode(body: bytes) -> dict:
    """The object a protobuf request body holds, as JSON would hold it."""
    if not body.startswith(MAGIC):
        raise Undecodable("the body does not start with the Kubernetes protobuf magic number")
    unknown = dict(_fields(body[len(MAGIC):]))
    type_meta = {k: v.decode() for k, v in _fields(unknown.get(1, b""))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    layout = f"{api_version.split('.')[0]}/{api_version.rsplit('/', 1)[-1]}.{kind}" if "/" in api_version else kind
    if layout not in MESSAGES:
        raise Undecodable(f"{api_version} {kind} is not read from protobuf here (send JSON)")
    return {"apiVersion": api_version, "kind": kind, **_message(unknown.get(2, b""), layout)}


def _message(data: bytes, layout: str) -> dict:
    made = {}
    for number, value in _fields(data):
        if number in MESSAGES[layout]:
            name, inner = MESSAGES[layout][number]
            decoded = _message(value, inner) if inner else value.decode()
            if decoded not in ("", {}):  # Go writes every string, JSON omits the empty ones
                made[name] = decoded
    return made


def _fields(data: bytes):
    """(field number, bytes) of each length-delimited field; varint and fixed fields are skipped."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, at = _varint(data, at)
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        elif wire == 2:
            size, at = _varint(data, at)
            yield number, data[at:at + size]
            at += size
        else:
            raise Undecodable(f"protobuf wire type {wire} is not read here")


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise Undecodable("a truncated protobuf body")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at
