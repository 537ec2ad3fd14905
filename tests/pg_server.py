"""pytest plugin: a real PostgreSQL for the tests, and a brand-new database per test.

Order of preference for the server: ETL_TEST_PG_URL (an admin URL that may create
databases), a server on 127.0.0.1:5432, else a throwaway cluster built with the
installed PostgreSQL binaries. Without any of them the tests fail with a hint;
they never skip silently.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

HINT = "no PostgreSQL: set ETL_TEST_PG_URL or install PostgreSQL; or deselect with -m 'not postgres'"


def run_sql(url: str, *statements: str) -> list[tuple]:
    """Run statements one by one in autocommit mode; return the last one's rows."""
    import adbc_driver_postgresql.dbapi as adbc_pg

    rows: list[tuple] = []
    with adbc_pg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
            rows = cur.fetchall()
    return rows


def with_database(url: str, database: str) -> str:
    """The same server and user, another database."""
    if "://" not in url:
        return f"{url} dbname={database}"
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> str | None:
    """None when the server accepts the URL, else why not."""
    import adbc_driver_manager

    try:
        run_sql(url, "SELECT 1")
    except adbc_driver_manager.Error as exc:
        return str(exc).splitlines()[0]
    return None


def _binaries() -> Path | None:
    found = [str(p) for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    found += [path for path in [shutil.which("initdb")] if path]
    if not found:
        return None
    newest = max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p)] or [0])
    return Path(newest).parent


@contextlib.contextmanager
def throwaway_cluster(password: str | None = None) -> Iterator[str]:
    """Start a private PostgreSQL on a free port; yield its admin URL; remove it after.

    With `password`, TCP logins need it (scram-sha-256), so wrong passwords fail.
    """
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.fail(HINT, pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="etl-pg-"))
    # initdb refuses to run as root: run the server as the postgres OS user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data, port = root / "data", free_port()
    auth = ["-A", "trust"]
    if password is not None:
        (root / "pw").write_text(password)
        auth = ["-A", "scram-sha-256", f"--pwfile={root / 'pw'}"]
    if as_user:
        shutil.chown(root, "postgres")
        for path in root.iterdir():
            shutil.chown(path, "postgres")
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-N",
                *auth,
            ],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*pg_ctl, "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(
            f"{HINT} (initdb/pg_ctl failed: {exc.stderr.decode().strip()[:200]})",
            pytrace=False,
        )
    secret = f":{password}" if password is not None else ""
    try:
        yield f"postgresql://postgres{secret}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*pg_ctl, "-m", "immediate", "stop"], check=False, capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Admin libpq URL of a PostgreSQL server the tests may create databases on."""
    if url := os.environ.get("ETL_TEST_PG_URL"):
        if why := _answers(url):
            pytest.fail(f"ETL_TEST_PG_URL does not answer: {why}", pytrace=False)
        yield url
        return
    for user in dict.fromkeys(["postgres", getpass.getuser()]):
        url = f"postgresql://{user}@127.0.0.1:5432/postgres"
        if _answers(url) is None:
            yield url
            return
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """URL of a brand-new database for one test, dropped afterwards."""
    name = f"etl_test_{uuid.uuid4().hex[:8]}"
    run_sql(postgres_server, f"CREATE DATABASE {name}")
    try:
        yield with_database(postgres_server, name)
    finally:
        run_sql(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
