"""`inspection-tracker` command line: serve, migrate, create-user, seed-demo, import-regions, backup, restore,
worker, tick."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from app.auth.models import Role
from app.auth.principals import Principal, PrincipalKind
from app.auth.schemas import UserCreate
from app.core.config import Settings, get_settings
from app.core.errors import AppError
from app.db.backup import BackupError, Outcome, create_backup, restore_backup
from app.db.migrate import current_revision, head_revision, upgrade_to_head
from app.db.session import Database
from app.demo import DEMO_ADMIN, YEAR, SeedReport, annual_paragraph, seed_demo
from app.regions.schemas import RegionImportResult

if TYPE_CHECKING:
    from app.deadlines.service import TickResult

# The operator at the server's console loads registers nationally, as create-user creates the first admin.
CLI_ACTOR = Principal(PrincipalKind.user, uuid.UUID(int=0), "cli", Role.admin, "")

cli = typer.Typer(
    help="inspection-tracker: enforcement inspections of funeral and elderly-care institutions.",
    no_args_is_help=True,
    add_completion=False,
)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        typer.echo(f"configuration error: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from exc


async def _migrate(settings: Settings) -> None:
    db = Database(settings)
    try:
        await upgrade_to_head(db.engine)
    finally:
        await db.dispose()


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    asyncio.run(_migrate(settings))
    typer.echo("database is at the latest migration")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="uvicorn worker processes; each holds its own database pool (README Scaling out)")
    ] = 1,
) -> None:
    """Apply pending migrations, then serve the API."""
    import uvicorn

    settings = _settings()
    asyncio.run(_migrate(settings))
    _ = settings.secret_key  # generate the embedded default's key once, before workers start
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.LOG_LEVEL.lower(),
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        access_log=False,
    )  # app.access logs every request once, with its request id


async def _create_user(settings: Settings, data: UserCreate) -> str:
    db = Database(settings)
    try:
        await upgrade_to_head(db.engine)
        from app.auth.service import create_user
        from app.officers.queries import officer_region

        async with db.write_session() as session:
            user = await create_user(session, data, actor=None, officers=officer_region)
            return str(user.id)
    finally:
        await db.dispose()


@cli.command("create-user")
def create_user_command(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="admin, supervisor, inspector or viewer")] = Role.viewer,
    region_code: Annotated[str, typer.Option(help="region scope (GB/T 2260 prefix); empty = everything")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Create a user (the way to bootstrap the first admin)."""
    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            typer.echo("passwords differ", err=True)
            raise typer.Exit(2)
    try:
        data = UserCreate(username=username, password=password, role=role, region_code=region_code)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    try:
        user_id = asyncio.run(_create_user(settings, data))
    except AppError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {role.value} '{username}' ({user_id})")


DEMO_PASSWORD = "shizhu-demo-2023"  # noqa: S105 (printed demo credential, documented as such)


async def _seed(settings: Settings, password: str) -> tuple[SeedReport, str]:
    db = Database(settings)
    try:
        await upgrade_to_head(db.engine)
        return await seed_demo(db, password), await annual_paragraph(db)
    finally:
        await db.dispose()


@cli.command("seed-demo")
def seed_demo_command(
    admin_password: Annotated[str, typer.Option(help="password of the demo admin, if created now")] = DEMO_PASSWORD,
) -> None:
    """Load the 2023 Shizhu County (500240) data set behind the annual report (idempotent), then print the
    report's paragraph as the database now gives it (the seed's figures, unless records were added since)."""
    settings = _settings()
    report, paragraph = asyncio.run(_seed(settings, admin_password))
    typer.echo(
        f"demo data in place: {report.institutions} institutions, {report.officers} officers, "
        f"{report.inspections} inspections, {report.hazards} hazards (all rectified and verified)"
    )
    typer.echo(f"the {YEAR} annual paragraph (GET /api/v1/reports/annual?year={YEAR}):")
    typer.echo(paragraph, nl=False)
    if report.admin_created:
        typer.echo(f"log in as '{DEMO_ADMIN}' with password '{admin_password}' (demo only: change or disable it)")
    else:
        typer.echo(f"user '{DEMO_ADMIN}' already exists; its password is unchanged")


def _outcome(outcome: Outcome) -> str:
    return (
        f"{outcome.backend} database ({outcome.database_bytes} bytes, revision {outcome.revision}) and "
        f"{outcome.evidence_files} evidence files ({outcome.evidence_bytes} bytes)"
    )


@cli.command()
def backup(
    path: Annotated[Path, typer.Argument(help="archive to write (.tar; .tar.gz / .tgz compressed)")],
    force: Annotated[bool, typer.Option("--force", help="overwrite PATH if it is an existing file")] = False,
) -> None:
    """Back up the database and the evidence files into one archive (safe while the server runs)."""
    settings = _settings()
    try:
        outcome = create_backup(settings, path, force=force)
    except BackupError as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"backed up the {_outcome(outcome)} to {path}")


@cli.command()
def restore(
    path: Annotated[Path, typer.Argument(help="archive written by `backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace a target that holds data")] = False,
) -> None:
    """Restore a backup into the configured database and DATA_DIR (stop the server first)."""
    settings = _settings()
    try:
        outcome = restore_backup(settings, path, force=force)
    except BackupError as exc:
        typer.echo(f"restore failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored the {_outcome(outcome)} from {path}")
    if outcome.revision != head_revision():
        typer.echo("the backup predates the current schema: `migrate` (or `serve`) upgrades it")


async def _import_regions(settings: Settings, data: bytes) -> RegionImportResult:
    from app.regions import csvfile
    from app.regions import service as region_service

    rows = csvfile.parse(data)  # before touching the database: a wrong file changes nothing
    db = Database(settings)
    try:
        await upgrade_to_head(db.engine)
        async with db.write_session() as session:
            return await region_service.import_regions(session, rows, CLI_ACTOR)
    finally:
        await db.dispose()


@cli.command("import-regions")
def import_regions_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV: code,name[,parent_code]")
    ],
) -> None:
    """Load the regions register (行政区划) from a CSV in the official list format (all rows or none).

    Codes in GB/T 2260 (500240), statistical (500240001000) or short form (500240001); UTF-8 or GBK."""
    settings = _settings()
    try:
        result = asyncio.run(_import_regions(settings, file.read_bytes()))
    except AppError as exc:
        typer.echo(exc.detail, err=True)
        for error in (exc.errors or [])[:20]:
            where = ":".join(str(p) for p in error.loc[1:])
            typer.echo(f"  line {where}: {error.msg}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"regions imported from {file.name}: {result.rows} rows, {result.created} new, {result.renamed} changed, "
        f"{result.unchanged} unchanged"
    )


async def _tick(settings: Settings, on: date | None) -> TickResult:
    from app.deadlines.service import tick

    db = Database(settings)
    try:
        if await current_revision(db.engine) != head_revision():
            typer.echo("the database is not at the latest migration: run `inspection-tracker migrate`", err=True)
            raise typer.Exit(2)
        async with db.write_session() as session:
            return await tick(session, settings, on)
    finally:
        await db.dispose()


@cli.command("tick")
def tick_command(
    on: Annotated[
        str | None, typer.Option("--on", help="the date to judge deadlines as of (YYYY-MM-DD; default today)")
    ] = None,
) -> None:
    """Raise the reminders, overdue notices, escalations and certificate notices due by a date (idempotent)."""
    from app.deadlines.service import check_tick_date

    settings = _settings()
    try:
        day = check_tick_date(None if on is None else date.fromisoformat(on))
    except ValueError:
        typer.echo(f"--on: {on!r} is not a date as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    except AppError as exc:
        typer.echo(f"--on: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    result = asyncio.run(_tick(settings, day))
    levels = ", ".join(f"{level} {n}" for level, n in result.escalations.items()) or "none"
    typer.echo(
        f"tick as of {result.on.isoformat()}: {result.due_soon} due soon, {result.overdue} overdue, "
        f"escalations: {levels}, {result.certificates_expiring} certificates expiring "
        f"({result.statements} statements)"
    )


async def _work(settings: Settings) -> None:
    import signal

    from app.events.webhooks.worker import DeliveryWorker

    db = Database(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if await current_revision(db.engine) != head_revision():
            typer.echo("the database is not at the latest migration: run `inspection-tracker migrate`", err=True)
            raise typer.Exit(2)
        await DeliveryWorker(db, settings).run(stop)
    finally:
        await db.dispose()


@cli.command()
def worker() -> None:
    """Deliver webhooks in this process (besides or instead of `serve`'s own worker) until SIGTERM / Ctrl-C;
    any number of them may run against one PostgreSQL database."""
    settings = _settings()
    typer.echo("webhook worker started")
    asyncio.run(_work(settings))
    typer.echo("webhook worker stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cli()


if __name__ == "__main__":
    main()
