"""`npf-ecwid db upgrade|current`: the database schema (Alembic migrations), and
`open_database`, the one call a command that uses the database makes at its start."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import head_revision, revision_of, upgrade
from npf_ecwid.settings import get_settings

app = typer.Typer(help="The integration's database schema.", no_args_is_help=True)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def open_database() -> Engine:
    """The settings' database, upgraded to head first (one SELECT when already there), so a
    command never meets a missing table; says so on stderr when it changed the schema."""
    engine = get_engine(get_settings().effective_database_url)
    result = upgrade(engine)
    if result.changed:
        typer.echo(
            f"database {_where(engine)} upgraded: {result.before or 'none'} -> {result.after}",
            err=True,
        )
    return engine


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the tables to this version's schema (safe to repeat; `serve`, the
    demo and the other commands do it at start). A database made before migrations is
    brought to the baseline and stamped; its data stays."""
    engine = get_engine(get_settings().effective_database_url)
    result = upgrade(engine)
    if result.changed:
        typer.echo(f"database {_where(engine)}: {result.before or 'none'} -> {result.after}")
    else:
        typer.echo(f"database {_where(engine)}: already at {result.after}")


@app.command("current")
def current_command() -> None:
    """Print the database's schema revision and this version's head (changes nothing)."""
    engine = get_engine(get_settings().effective_database_url)
    current, head = revision_of(engine), head_revision()
    state = "at head" if current == head else f"needs `npf-ecwid db upgrade` to {head}"
    typer.echo(f"database {_where(engine)}: {current or 'none'} ({state})")
