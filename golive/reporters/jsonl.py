"""The results stream (schema docs/results-schema.md), written and flushed line by line as the run goes."""
from __future__ import annotations

import json
from pathlib import Path


def line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


class Stream:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("w", encoding="utf-8")

    def write(self, record: dict) -> None:
        if self._file is not None:
            self._file.write(line(record))
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def write(run, path: Path) -> Path:
    """The whole stream of a finished model at once (`golive report`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line(r) for r in run.records()), encoding="utf-8")
    return path
