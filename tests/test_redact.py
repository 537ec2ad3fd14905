from __future__ import annotations

import pytest

from engine.redact import redact, scrub

PASSWORDS = [
    "S3cret LEAKPW",
    "Pa@ssLEAK",
    "pa:ss/LEAK",
    "it's \\LEAK",
    'quo"te LEAK',
    "a@b:c/d e'LEAK",
    "LEAK?x=1#frag&y",
]


def _url(password: str) -> str:
    return f"postgresql://postgres:{password}@127.0.0.1:5999/shop?sslmode=disable"


def _kv(password: str) -> str:
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    return f"host=127.0.0.1 port=5999 password='{quoted}' dbname=shop"


@pytest.mark.parametrize("password", PASSWORDS)
def test_an_unencoded_url_password_never_shows(password):
    shown = redact(_url(password))
    assert "LEAK" not in shown
    assert shown.startswith("postgresql://postgres:***@")
    assert shown.endswith("127.0.0.1:5999/shop?sslmode=disable")


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_quoted_key_value_password_never_shows(password):
    shown = redact(_kv(password))
    assert "LEAK" not in shown
    assert shown == "host=127.0.0.1 port=5999 password=*** dbname=shop"


def test_the_issue_examples():
    assert (
        redact("host=127.0.0.1 password='S3cret LEAKPW' dbname=x")
        == "host=127.0.0.1 password=*** dbname=x"
    )
    assert (
        redact("postgresql://postgres:Pa@ssLEAK@127.0.0.1:5999/x")
        == "postgresql://postgres:***@127.0.0.1:5999/x"
    )


@pytest.mark.parametrize(
    ("conninfo", "shown"),
    [
        (
            "postgresql://u:p%40ss%2FLEAK@h/db",
            "postgresql://u:***@h/db",
        ),
        ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db"),
        ("postgres://h/db?password=LEAK&user=u", "postgres://h/db?password=***&user=u"),
        ("host=h password = LEAKPW user=u", "host=h password=*** user=u"),
        ("host=h PASSWORD=LEAK", "host=h PASSWORD=***"),
        ("host=h password=LEAK\\ PW user=u", "host=h password=*** user=u"),
        ("host=h password='never closed LEAK", "host=h password=***"),
        ("host=h dbname=shop", "host=h dbname=shop"),
    ],
)
def test_other_forms(conninfo, shown):
    assert redact(conninfo) == shown


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_driver_message_loses_every_form_of_the_password(password):
    url = _url(password)
    text = f'connection to "{url}" failed: password "{password}" rejected'
    assert "LEAK" not in scrub(text, url)
    kv = _kv(password)
    assert "LEAK" not in scrub(f"{kv} failed: {password}", kv)


def test_settings_repr_hides_the_password():
    from engine.config import Settings

    shown = repr(Settings(pg_url="host=h password='S3cret LEAKPW'"))
    assert "LEAK" not in shown


@pytest.mark.parametrize(
    "pg_url",
    [
        "host=127.0.0.1 port={port} user=postgres password='S3cret LEAKPW' dbname=x",
        "postgresql://postgres:S3cret%20LEAK%40%3A%2F@127.0.0.1:{port}/x",
    ],
)
def test_a_refused_connection_prints_no_part_of_the_password(
    runner, warehouse_path, pg_url
):
    from engine.cli import cli
    from tests.pg_server import free_port

    url = pg_url.format(port=free_port())
    result = runner.invoke(
        cli, ["status", "--warehouse", str(warehouse_path), "--pg-url", url]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach PostgreSQL at ")
    assert "LEAK" not in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("password", ["Pa@ssLEAK", "pa:ss/LEAK", "LEAK?x", "LE#AK"])
def test_an_unencoded_url_password_is_refused_before_libpq_sees_it(
    runner, warehouse_path, password
):
    from engine.cli import cli

    url = f"postgresql://postgres:{password}@127.0.0.1:5999/x"
    result = runner.invoke(
        cli, ["status", "--warehouse", str(warehouse_path), "--pg-url", url]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --pg-url postgresql://postgres:***@127.0.0.1:5999/x: the user name or "
        "password holds '@', ':', '/', '?' or '#'; percent-encode them "
        "(%40, %3A, %2F, %3F, %23)\n"
    )
