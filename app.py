"""The Chalice application: one Blueprint per API area (`chalicelib/api/`) and per group
of event handlers (`chalicelib/handlers/`)."""
from chalice import Chalice

from chalicelib.api import (
    accounts,
    consents,
    contracts,
    deletion,
    disclosures,
    exports,
    identity,
    money,
    platform,
    policies,
    profiles,
    projects,
)
from chalicelib.core import observability, privacy, settings
from chalicelib.handlers import erasure, fanout, marketplace, notifications, payments, retention
from chalicelib.handlers import exports as export_handlers
from chalicelib.handlers import policies as policy_handlers

privacy.active()  # a missing or invalid privacy profile stops start-up here, with its reason

app = Chalice(app_name="marketplace")
observability.install(app)

app.register_blueprint(platform.bp)
app.register_blueprint(notifications.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(policies.bp)
app.register_blueprint(consents.bp)
app.register_blueprint(deletion.bp)
app.register_blueprint(exports.bp)
app.register_blueprint(disclosures.bp)
app.register_blueprint(identity.bp)
app.register_blueprint(profiles.bp)
app.register_blueprint(projects.bp)
app.register_blueprint(marketplace.bp)
app.register_blueprint(contracts.bp)
app.register_blueprint(money.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(erasure.bp)
app.register_blueprint(fanout.bp)
app.register_blueprint(policy_handlers.bp)
app.register_blueprint(export_handlers.bp)
app.register_blueprint(retention.bp)

if settings.is_local():
    from chalicelib.api import devtools

    app.register_blueprint(devtools.bp)
