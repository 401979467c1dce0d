"""Credential files by name, and the secrets set in them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdev.check.steps._credentials import PLACEHOLDER, credentials, is_credential_file


@pytest.mark.parametrize(
    "path",
    [".env", "deploy/.env", ".env.local", ".env.example", "prod.env", ".envrc", ".netrc",
     ".pgpass", ".pypirc", ".npmrc", ".git-credentials", "home/.aws/credentials", "secrets.yaml",
     "infra/prod.tfvars", ".s3cfg", "home/.docker/config.json"],
)  # fmt: skip
def test_credential_files_are_known_by_name(path: str) -> None:
    assert is_credential_file(path)


@pytest.mark.parametrize(
    "path", ["src/pkg/settings.py", "docs/env.md", "environment.yml", "credentials.md", "envs/x"]
)
def test_other_files_are_not_credential_files(path: str) -> None:
    assert not is_credential_file(path)


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (".env", "DB_HOST=localhost\nDB_PASS=abc\n", [(2, "DB_PASS", "abc")]),
        (".env", "export API_TOKEN='t'  \n", [(1, "API_TOKEN", "t")]),
        (".env", "AWS_SECRET_ACCESS_KEY=zz # prod\n", [(1, "AWS_SECRET_ACCESS_KEY", "zz")]),
        (".env", "DATABASE_URL=postgres://me:pw@db/prices\n", [(1, "a URL's password", "pw")]),
        (".env", "# DB_PASS=old\nDB_PASS=\nKEY=${KEY}\nPASSWORD=<yours>\n", []),
        (".npmrc", "//r.example/:_authToken=abc\n", [(1, "//r.example/:_authToken", "abc")]),
        (".netrc", "machine pypi.org login me password hunter2\n", [(1, "password", "hunter2")]),
        (".pgpass", "localhost:5432:prices:me:pw1\n", [(1, "an entry", "pw1")]),
        (".pypirc", "[pypi]\nusername = me\npassword = pypi-abc\n", [(3, "password", "pypi-abc")]),
        ("secrets.yaml", "db:\n  password: abc\n  host: db\n", [(2, "password", "abc")]),
        ("prod.tfvars", 'db_password = "abc"\nregion = "eu"\n', [(1, "db_password", "abc")]),
        (".docker/config.json", '{"auths": {"r": {\n "auth": "dXM="\n}}}', [(2, "auth", "dXM=")]),
    ],
)  # fmt: skip
def test_values_set_for_credential_names_are_found(
    path: str, text: str, expected: list[tuple[int, str, str]]
) -> None:
    assert [(c.line, c.name, c.value) for c in credentials(path, text)] == expected


VALUE = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters="!%&+,-./@^_~"),
    min_size=1,
    max_size=30,
).filter(lambda v: not PLACEHOLDER.match(v) and "://" not in v)
NAME = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True)


@given(prefix=NAME, value=VALUE)
def test_any_value_of_a_password_name_in_a_dotenv_is_found_exactly(prefix: str, value: str) -> None:
    name = f"{prefix}_PASSWORD"

    [found] = credentials(".env", f"OTHER=1\n{name}={value}\n")

    assert (found.line, found.name, found.value) == (2, name, value)


@given(
    name=NAME.filter(
        lambda n: (
            not any(
                w in n
                for w in (
                    "PASS",
                    "PWD",
                    "SECRET",
                    "TOKEN",
                    "AUTH",
                    "KEY",
                    "CREDENTIAL",
                    "PRIVATE",
                    "SESSION",
                    "COOKIE",
                    "DSN",
                    "SALT",
                    "SIGNATURE",
                )
            )
        )
    ),
    value=VALUE,
)
def test_other_names_in_a_dotenv_are_config_not_credentials(name: str, value: str) -> None:
    assert credentials(".env", f"{name}={value}\n") == []
