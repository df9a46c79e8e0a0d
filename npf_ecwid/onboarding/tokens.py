"""Storing a client's token where its `env:VAR` reference finds it: the `.env` file.

(`secret:BLOCK` references are Prefect Secret blocks, saved by the CLI through
`runtime/secrets.py`, because this package never imports Prefect.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dotenv import set_key
from pydantic import SecretStr

from npf_ecwid.config import ConfigError, clean_token

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def default_token_var(code: str) -> str:
    """`ACME` -> `ACME_ECWID_TOKEN`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", code).upper() + "_ECWID_TOKEN"


def save_token_to_env(env_file: Path, var: str, token: SecretStr) -> None:
    """Write `VAR=token` into `env_file` and this process's env; the file is 0600 before the
    token goes in and after (python-dotenv rewrites it through a temp file of its own, and an
    existing `.env` may have been created world-readable by an editor or `cp`)."""
    if not _ENV_NAME.match(var):
        raise ConfigError(f"{var!r} is not a valid environment variable name")
    value = clean_token(token.get_secret_value(), f"token for {var}").get_secret_value()
    env_file.touch(mode=0o600, exist_ok=True)
    env_file.chmod(0o600)
    set_key(str(env_file), var, value, quote_mode="never")
    env_file.chmod(0o600)
    os.environ[var] = value
