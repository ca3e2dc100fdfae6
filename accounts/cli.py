"""`flask accounts ...`: how admins, regulators and provider staff accounts are made."""

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from accounts.models import ROLES
from core.errors import ServiceError
from core.personal import mask_phone

accounts_cli = AppGroup("accounts", help="Users and roles.")


@accounts_cli.command("create-user")
@click.option("--email", help="Email address (stored lower-case).")
@click.option("--mobile", help="Mainland mobile number, e.g. 13912345678.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (asked for when not given, so it stays out of the shell history).")
@click.option("--role", type=click.Choice(ROLES), default="family", show_default=True)
@click.option("--jurisdiction", help="Regulators: a province or city code (GB/T 2260), e.g. 320000.")
@click.option("--provider-id", type=int, help="Provider staff: the id of their operator.")
@click.option("--display-name", help="The name shown (default: the email or mobile number).")
def create_user(email, mobile, password, role, jurisdiction, provider_id, display_name):
    """Create a user with any role."""
    from accounts.services import create_user as create

    try:
        with force_locale("en"):  # an admin's terminal; there is no request to choose a locale from
                user = create(email=email, mobile=mobile, password=password, role=role, jurisdiction=jurisdiction,
                          provider_id=provider_id, display_name=display_name)
    except ServiceError as exc:
        raise click.UsageError(_describe(exc)) from None
    click.echo(f"created user {user.id} ({user.email or mask_phone(user.mobile)}) with role {user.role}")


def _describe(exc):
    """Name the option a refusal is about: `--jurisdiction: A regulator needs ...`."""
    parts = [f"--{name.replace('_', '-')}: {' '.join(map(str, messages))}" for name, messages in exc.fields.items()]
    return "; ".join(parts) or exc.message
