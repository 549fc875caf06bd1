"""golive cannot write to the database even if a session asks to: its login is a role without write
privileges (issue 12, defect 5). READ ONLY by default is only the session's default; the guarantee is the role."""
from __future__ import annotations

import psycopg
import pytest

from fixtures.database import Database
from golive import config
from golive.gather import Ledger
from tests.harness import ROOT

WRITES = [
    "SET TRANSACTION READ WRITE; CREATE TABLE golive_write_probe (x integer)",
    "SET TRANSACTION READ WRITE; CREATE TEMP TABLE golive_write_probe (x integer)",
    "SET TRANSACTION READ WRITE; INSERT INTO teams VALUES (1, 'XXX', 'golive write probe')",
    "SET TRANSACTION READ WRITE; UPDATE games SET home_score = home_score",
    "SET TRANSACTION READ WRITE; DELETE FROM players",
    "SET TRANSACTION READ WRITE; CREATE SCHEMA golive_write_probe",
]


@pytest.fixture
def db(sandbox):
    cfg = config.load("sandbox", ROOT / "golive.toml")
    return Database(cfg, Ledger(), (cfg.timeouts.connect_seconds, cfg.timeouts.read_seconds))


@pytest.mark.parametrize("sql", WRITES)
def test_golives_own_connection_cannot_write_even_read_write(db, sql):
    with db.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(sql)


def test_golives_login_reads_and_is_no_superuser(db):
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM games").fetchone()[0] > 0
        who = conn.execute("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                           "WHERE rolname = current_user").fetchone()
    assert who[0] != "postgres" and who[1:] == (False, False, False), who
