"""The `posync` command. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup


class _Commands(TyperGroup):
    """Every command reports a failure the operator can fix in one line, with exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from posync_tui.failures import expected_failure

            line = expected_failure(exc)
            if line is None:
                raise
            _fail(line, 1)


# Set by a command run with --json: its failures are JSON on stdout too, so a script that
# parses the output never meets a line of prose.
_as_json = False


def _fail(line: str, code: int):
    """Stop the command with ``line``: on stderr, or as {"error": line} under --json."""
    if _as_json:
        typer.echo(json.dumps({"ok": False, "error": line}))
    else:
        typer.echo(line, err=True)
    raise typer.Exit(code) from None


app = typer.Typer(
    cls=_Commands,
    help="posync: purchase-order synchronisation console.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
quickbooks_app = typer.Typer(help="QuickBooks Online.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(quickbooks_app, name="quickbooks")
edi_app = typer.Typer(help="EDI interchanges (UN/EDIFACT D.96A).", no_args_is_help=True)
app.add_typer(edi_app, name="edi")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML config file (default: user config dir).")
]
_config_path: Path | None = None


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Start the console on the configured database (no command), or run a command."""
    global _config_path, _as_json
    _config_path, _as_json = config, False
    if ctx.invoked_subcommand is None:
        _run_console(demo=False, reset=False)


def _settings(**overrides):
    from posync_tui.config import ConfigError, load_settings

    try:
        return load_settings(_config_path, **overrides)
    except ConfigError as exc:
        _fail("\n".join(f"config error: {problem}" for problem in exc.problems), 2)


def _run_console(*, demo: bool, reset: bool) -> None:
    from posync_tui import console

    raise typer.Exit(console.run(_config_path, demo=demo, reset=reset))


@app.command()
def demo(reset: Annotated[bool, typer.Option(help="Start again from fresh demo data.")] = False):
    """The console on a demo database with the simulated partners running in-process."""
    _run_console(demo=True, reset=reset)


@app.command()
def worker():
    """The scheduler without a screen (for a server or systemd), logging to stdout."""
    from posync_tui.runtime import open_runtime
    from posync_tui.worker import run_worker

    rt = _checked_runtime(open_runtime(_settings()))
    run_worker(rt, _usable_jobs(rt))


@app.command()
def sync(
    once: Annotated[bool, typer.Option("--once", help="One cycle, then exit.")] = False,
    connector: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
):
    """Run one poll/delivery cycle of each enabled connector and print a summary."""
    global _as_json
    _as_json = as_json
    if not once:
        _fail("Only --once is supported here; for continuous polling run `posync worker`.", 2)
    from posync_tui.runtime import open_runtime
    from posync_tui.worker import run_once

    rt = _checked_runtime(open_runtime(_settings()))
    jobs = _usable_jobs(rt)
    if connector:
        jobs = [j for j in jobs if j.name == connector]
        if not jobs:
            _fail(f"No configured connector named {connector!r}.", 2)
    summary = run_once(rt, jobs)
    rt.close()
    failed = [name for name, result in summary.items() if not result["ok"]]
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        for name, result in summary.items():
            mark = "ok" if result["ok"] else result["status"].upper()
            typer.echo(f"{mark:<7} {name}: {result['summary']}")
    raise typer.Exit(1 if failed else 0)


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8780,
    faults: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Fault mode: this share of calls fails.")
    ] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed of the fault mode's draws.")] = None,
):
    """Serve the simulated partners over HTTP until interrupted."""
    import time

    from connectors.sandbox.partners import default_sandbox

    partners = default_sandbox()
    for partner in partners.partners.values():
        partner.faults.random_faults(faults, seed=seed)
    server = partners.serve(host, port)
    typer.echo(f"sandbox partners at {server.url}/<partner> (ctrl+c to stop)")
    if faults:
        typer.echo(f"fault mode: {faults:.0%} of calls fail (seed {seed})")
    for name in partners.partners:
        typer.echo(f"  {server.url}/{name}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


@edi_app.command("parse")
def edi_parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An interchange.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the content as JSON.")] = False,
):
    """Validate an interchange and print what it says, or the error and its segment (exit 1)."""
    from connectors.edifact import EdifactError, parse
    from connectors.edifact.show import summary, to_json

    try:
        interchange = parse(file.read_bytes())
    except EdifactError as exc:
        if as_json:
            typer.echo(json.dumps(exc.as_json(), indent=2))
        else:
            typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(to_json(interchange), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(summary(interchange)))


@app.command()
def seed(pos: Annotated[int, typer.Option("--pos", min=1, help="How many POs to add.")] = 1000):
    """Add bulk synthetic data (for scale tests): POs with about ten lines each."""
    import time

    from posync_tui.runtime import open_runtime

    rt = _checked_runtime(open_runtime(_settings()))
    from posync_tui.paths import masked_url
    from posync_tui.seed import seed_bulk

    started = time.perf_counter()
    seed_bulk(rt.db, pos=pos)
    took = time.perf_counter() - started
    typer.echo(f"seeded {pos} POs in {took:.1f} s into {masked_url(rt.db.url)}")
    rt.close()


@db_app.command("upgrade")
def db_upgrade():
    """Bring the database schema up to date."""
    from posync_tui.db import Database
    from posync_tui.paths import masked_url

    settings = _settings()
    database = Database(settings.resolved_database_url())
    before, head = database.schema_versions()
    database.upgrade()
    typer.echo(f"database {masked_url(database.url)}: {before or 'empty'} → {head}")


@config_app.command("show")
def config_show():
    """Print the effective configuration with every secret masked."""
    from posync_tui.config import masked

    settings = _settings()
    shown = json.dumps(masked(settings), indent=2, default=str)
    typer.echo(f"# config file: {settings._config_file or '(none; defaults and POSYNC_*)'}")
    typer.echo(shown)


@quickbooks_app.command("connect")
def quickbooks_connect(
    url: Annotated[
        str | None,
        typer.Option(help="The address Intuit sent your browser back to after you signed in."),
    ] = None,
):
    """Connect posync to your QuickBooks Online company (OAuth 2.0 sign-in)."""
    import asyncio
    import secrets
    from urllib.parse import parse_qs, urlparse

    from connectors.quickbooks import ReconnectQuickBooks
    from posync_tui.services.accounting_connection import authorization_link, connect_company

    settings = _settings()
    try:
        if url is None:
            link = authorization_link(settings, secrets.token_urlsafe(16))
            typer.echo("1. Open this address in a browser and choose your company:\n")
            typer.echo(f"   {link}\n")
            typer.echo(
                "2. Intuit then sends the browser to your redirect URI "
                f"({settings.quickbooks.redirect_uri}).\n"
                "   Copy that whole address from the browser and run:\n\n"
                '   posync quickbooks connect --url "<the address>"'
            )
            return
        query = parse_qs(urlparse(url).query)
        if "error" in query:
            typer.echo(f"QuickBooks refused the connection: {query['error'][0]}", err=True)
            raise typer.Exit(1)
        code, realm = query.get("code", [None])[0], query.get("realmId", [None])[0]
        if not code or not realm:
            typer.echo("That address has no code and realmId: copy it whole.", err=True)
            raise typer.Exit(2)
        realm_id = asyncio.run(connect_company(settings, code, realm))
    except ReconnectQuickBooks as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f'Connected. Put this in the config file: [quickbooks] realm_id = "{realm_id}"')


def _usable_jobs(rt):
    """The jobs of the configured connectors; one line naming those that are not configured.
    None configured: nothing would ever run, so that line and exit 2."""
    from posync_tui.jobs import jobs_for, not_configured_line

    jobs = jobs_for(rt)
    line = not_configured_line(rt)
    if not jobs:
        _fail(line or "No connector is enabled: nothing to run.", 2)
    if line is not None:
        typer.echo(line, err=True)
    return jobs


def _checked_runtime(rt):
    """The runtime, its schema checked (an empty database is created at the current one)."""
    from posync_tui.db import SchemaOutOfDate

    try:
        rt.db.open_schema()
    except SchemaOutOfDate as exc:
        _fail(str(exc), 2)
    return rt


def main() -> None:
    """The commands (``posync`` alone, the console, starts from ``posync_tui.console``)."""
    app(prog_name="posync")


if __name__ == "__main__":
    main()
