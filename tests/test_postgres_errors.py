from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from engine.errors import ConfigError
from engine.postgres import PostgresError, PostgresTarget
from tests.pg_rows import Warehouse
from tests.pg_server import (
    _binaries,
    free_port,
    run_sql,
    throwaway_cluster,
    with_database,
)

pytestmark = pytest.mark.postgres


def as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


@pytest.fixture
def role(pg_url):
    """A login role without any rights on the etl schemas; dropped after the test."""
    name = f"etl_role_{uuid.uuid4().hex[:8]}"
    run_sql(pg_url, f"CREATE ROLE {name} LOGIN PASSWORD 'role-pw-123'")
    yield name
    run_sql(pg_url, f"DROP OWNED BY {name}", f"DROP ROLE {name}")


# -- connection and permission errors ---------------------------------------------------------


def test_server_down(postgres_server):
    port = free_port()
    url = f"postgresql://postgres:s3cr3t-pw@127.0.0.1:{port}/postgres"
    with pytest.raises(PostgresError) as caught:
        PostgresTarget(url)
    assert caught.value.reason == "unreachable"
    assert str(caught.value) == (
        f"cannot reach PostgreSQL at postgresql://postgres:***@127.0.0.1:{port}/postgres: "
        "Connection refused; start the server or fix host/port in --pg-url"
    )


def test_unknown_role_with_password(pg_url):
    # The local server trusts 127.0.0.1, so a wrong password is accepted there; an
    # unknown role is the login failure it does report (see the next test for passwords).
    user = f"etl_nobody_{uuid.uuid4().hex[:6]}"
    url = as_user(pg_url, user, "s3cr3t-pw")
    with pytest.raises(PostgresError) as caught:
        PostgresTarget(url)
    assert caught.value.reason == "login"
    assert "s3cr3t" not in str(caught.value)
    assert str(caught.value) == (
        f'PostgreSQL refused login for user "{user}" at {url.replace("s3cr3t-pw", "***")}: '
        f'role "{user}" does not exist; check the user name and password in --pg-url'
    )


def test_wrong_password():
    if _binaries() is None:
        pytest.skip(
            "needs PostgreSQL binaries (initdb) for a cluster that checks passwords"
        )
    with throwaway_cluster(password="right-pw") as admin:
        wrong = admin.replace(":right-pw@", ":s3cr3t-pw@")
        with pytest.raises(PostgresError) as caught:
            PostgresTarget(wrong)
        with PostgresTarget(admin) as target:
            assert target.user == "postgres"
    assert caught.value.reason == "login"
    assert "s3cr3t" not in str(caught.value)
    assert "right-pw" not in str(caught.value)
    assert (
        'password authentication failed for user "postgres"; check the user name and password'
        in str(caught.value)
    )


def test_database_missing(pg_url):
    url = as_user(
        with_database(pg_url, "etl_no_such_db"),
        urlsplit(pg_url).username or "postgres",
        "s3cr3t-pw",
    )
    with pytest.raises(PostgresError) as caught:
        PostgresTarget(url)
    assert caught.value.reason == "no_database"
    assert str(caught.value).startswith('database "etl_no_such_db" does not exist on ')
    assert str(caught.value).endswith(
        "; create it (createdb etl_no_such_db) or fix the database name in --pg-url"
    )
    assert "s3cr3t" not in str(caught.value)


def test_permission_denied(target, pg_url, role):
    url = as_user(pg_url, role, "role-pw-123")
    with PostgresTarget(url) as limited:
        with pytest.raises(PostgresError) as caught:
            limited.check_setup()
        assert caught.value.reason == "permission"
        assert str(caught.value).startswith(
            f'permission denied: user "{role}" needs USAGE on schema meta'
        )
        assert "role-pw-123" not in str(caught.value)
        # Past check_setup, the server's own refusal is translated too.
        run_sql(
            pg_url,
            f"GRANT USAGE ON SCHEMA raw, meta TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA meta TO {role}",
        )
        wh = Warehouse()
        wh.put(0, 2)
        with pytest.raises(PostgresError) as denied:
            limited.sync_raw("orders", wh.ledger(), wh.fetch)
        assert denied.value.reason == "permission"
        assert str(denied.value).startswith(
            "permission denied: cannot delete replaced files on raw.orders: permission denied for table orders"
        )
        run_sql(
            pg_url,
            f"GRANT USAGE, CREATE ON SCHEMA staging, prod TO {role}",
            f"GRANT ALL ON ALL TABLES IN SCHEMA raw, staging, prod, meta TO {role}",
        )
        # Replacing rows needs no ownership; the swap mode renames tables, which does.
        limited.check_setup()
    with (
        PostgresTarget(url, publish_mode="swap") as swapping,
        pytest.raises(
            PostgresError,
            match=f'user "{role}" must own prod.customer_metrics to replace it with --publish-mode swap',
        ),
    ):
        swapping.check_setup()
    assert repr(limited) == f"PostgresTarget('{url.replace('role-pw-123', '***')}')"


def test_lost_connection(target, pg_url):
    pid = target.query("SELECT pg_backend_pid() AS pid")["pid"][0].as_py()
    run_sql(pg_url, f"SELECT pg_terminate_backend({pid})")
    with pytest.raises(PostgresError) as caught:
        target.ingested_files()
    assert caught.value.reason == "lost"
    assert str(caught.value).startswith(
        f"lost the connection to PostgreSQL at {pg_url} while trying to read the ledger: "
    )


def test_sqlalchemy_url_is_a_config_error():
    with pytest.raises(ConfigError, match="use a libpq URL"):
        PostgresTarget("postgresql+psycopg://u:pw@localhost/db")
