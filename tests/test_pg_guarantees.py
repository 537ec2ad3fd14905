"""Publishing guarantees against a real PostgreSQL: snapshot-safe readers, user indexes
kept, no separate setup, and bounded waits (lock and connect timeouts)."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from urllib.parse import urlsplit, urlunsplit

import adbc_driver_postgresql.dbapi as adbc_pg
import pytest

from engine.cli import cli
from engine.postgres import PostgresError, PostgresTarget
from tests.pg_server import run_sql
from tests.test_publish import assert_same, duck_contents, pg_contents

pytestmark = pytest.mark.postgres


def publish(runner, warehouse, url, *args):
    return runner.invoke(
        cli,
        ["publish", "-q", "--warehouse", str(warehouse), "--pg-url", url, *args],
    )


@pytest.fixture
def role(pg_url):
    """A login role without any rights; dropped after the test."""
    name = f"etl_role_{uuid.uuid4().hex[:8]}"
    run_sql(pg_url, f"CREATE ROLE {name} LOGIN PASSWORD 'role-pw-123'")
    yield name
    run_sql(pg_url, f"DROP OWNED BY {name}", f"DROP ROLE {name}")


# -- snapshot-safe publish (issue 9 item 2) ---------------------------------------------


def test_a_repeatable_read_reader_keeps_its_snapshot_through_a_publish(
    runner, built_warehouse, pg_url
):
    assert publish(runner, built_warehouse, pg_url).exit_code == 0
    (before,) = run_sql(
        pg_url,
        "SELECT (SELECT count(*) FROM prod.daily_sales), "
        "(SELECT sum(total_revenue)::text FROM prod.daily_sales), "
        "(SELECT count(*) FROM staging.orders)",
    )
    assert before[0] > 0
    with adbc_pg.connect(pg_url) as reader, reader.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT count(*) FROM meta.runs")  # the snapshot is taken here
        cur.fetchall()
        again = publish(runner, built_warehouse, pg_url, "--layers", "staging,prod")
        assert again.exit_code == 0, again.output
        cur.execute(
            "SELECT (SELECT count(*) FROM prod.daily_sales), "
            "(SELECT sum(total_revenue)::text FROM prod.daily_sales), "
            "(SELECT count(*) FROM staging.orders)"
        )
        seen = cur.fetchall()[0]
        reader.rollback()
    assert seen == before


# -- user indexes (issue 9 item 10) -----------------------------------------------------


@pytest.mark.parametrize("mode", ["replace", "swap"])
def test_hand_made_indexes_survive_every_publish(runner, built_warehouse, pg_url, mode):
    assert publish(runner, built_warehouse, pg_url).exit_code == 0
    run_sql(
        pg_url,
        'CREATE INDEX "weird idx" ON prod.daily_sales (total_revenue DESC)',
        "CREATE INDEX plain_idx ON staging.orders (customer_id, order_date)",
    )
    for _ in range(2):
        result = publish(
            runner, built_warehouse, pg_url, "--publish-mode", mode, "--layers", "all"
        )
        assert result.exit_code == 0, result.output
    indexes = run_sql(
        pg_url,
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('weird idx', 'plain_idx') ORDER BY 1",
    )
    assert indexes == [
        (
            "plain_idx",
            "CREATE INDEX plain_idx ON staging.orders USING btree (customer_id, order_date)",
        ),
        (
            "weird idx",
            'CREATE INDEX "weird idx" ON prod.daily_sales USING btree (total_revenue DESC)',
        ),
    ]
    assert_same(duck_contents(built_warehouse), pg_contents(pg_url))


# -- no separate setup (issue 10 item 5) ---------------------------------------------------


def test_publish_creates_missing_schemas_and_tables(runner, built_warehouse, pg_url):
    result = publish(runner, built_warehouse, pg_url)
    assert result.exit_code == 0, result.output
    assert_same(duck_contents(built_warehouse), pg_contents(pg_url))
    with PostgresTarget(pg_url) as target:
        target.check_setup()


def test_a_role_that_may_not_create_tables_is_told_so(
    runner, built_warehouse, pg_url, role
):
    parts = urlsplit(pg_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    url = urlunsplit(parts._replace(netloc=f"{role}:role-pw-123@{host}"))
    database = parts.path.lstrip("/")
    result = publish(runner, built_warehouse, url)
    assert result.exit_code == 1
    redacted = url.replace("role-pw-123", "***")
    assert result.output == (
        f'Error: {database}: table raw.customers is missing and user "{role}" may not create it '
        f"(permission denied for database {database}); "
        f'run "etl setup --pg-url {redacted}" once as a user with CREATE rights on the database, '
        f"or GRANT CREATE ON DATABASE {database} TO {role}\n"
    )
    assert run_sql(
        pg_url,
        "SELECT count(*) FROM pg_namespace WHERE nspname IN ('raw', 'staging', 'prod', 'meta')",
    ) == [(0,)]


# -- bounded waits (issue 9 item 4) --------------------------------------------------------


@contextlib.contextmanager
def locked(url, statement):
    """Another session (application "locker") holding a lock until the block ends."""
    with adbc_pg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET application_name = 'locker'")
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchall()[0][0]
        cur.execute(statement)
        try:
            yield pid
        finally:
            conn.rollback()


@pytest.mark.parametrize(
    ("statement", "table", "mode"),
    [
        (
            "LOCK TABLE prod.daily_sales IN ACCESS EXCLUSIVE MODE",
            "prod.daily_sales",
            "AccessExclusiveLock",
        ),
        ("LOCK raw.orders IN SHARE MODE", "raw.orders", "ShareLock"),
    ],
    ids=["prod-access-exclusive", "raw-share"],
)
def test_a_locked_table_fails_the_publish_naming_the_holder(
    runner, built_warehouse, pg_url, statement, table, mode, tmp_path
):
    scratch = str(tmp_path / "scratch.duckdb")
    setup = runner.invoke(cli, ["setup", "--warehouse", scratch, "--pg-url", pg_url])
    assert setup.exit_code == 0, setup.output
    with locked(pg_url, statement) as pid:
        result = publish(runner, built_warehouse, pg_url, "--pg-lock-timeout", "0.5")
        # Nothing of ours is left waiting on the server.
        waiting = run_sql(
            pg_url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'etl' "
            "AND wait_event_type = 'Lock'",
        )
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line
    assert line.startswith(
        f'Error: {table}: gave up waiting for a lock another session holds (pid {pid}, application "locker", holding {mode}), '
    )
    assert f"SELECT pg_terminate_backend({pid})" in line
    assert "--pg-lock-timeout (ETL_PG_LOCK_TIMEOUT) sets the wait" in line
    assert waiting == [(0,)]


def test_the_lock_timeout_is_set_on_the_server(pg_url):
    with PostgresTarget(pg_url, lock_timeout=1.5) as target:
        setting = target.query("SELECT current_setting('lock_timeout') AS t")
    assert setting["t"].to_pylist() == ["1500ms"]


def test_a_server_that_never_answers_times_out(runner, built_warehouse):
    accepted: list[socket.socket] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def accept() -> None:
            with contextlib.suppress(OSError):
                accepted.append(listener.accept()[0])  # and never says a word

        threading.Thread(target=accept, daemon=True).start()
        url = f"postgresql://etl@127.0.0.1:{port}/shop"
        with pytest.raises(PostgresError) as caught:
            PostgresTarget(url, connect_timeout=2)
        result = publish(runner, built_warehouse, url, "--pg-connect-timeout", "2")
    for conn in accepted:
        conn.close()
    assert caught.value.reason == "unreachable"
    assert str(caught.value).startswith(
        f"PostgreSQL at {url} did not answer within 2 s (timeout expired); "
    )
    assert result.exit_code == 1
    assert "did not answer within 2 s" in result.output
