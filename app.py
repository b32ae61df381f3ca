"""The Chalice application: one Blueprint per area of `chalicelib/`."""
from chalice import Chalice

from chalicelib import (
    accounts,
    contracts,
    identity,
    notify,
    observability,
    platform,
    policies,
    privacy,
    profiles,
    projects,
    settings,
)

privacy.active()  # a missing or invalid privacy profile stops start-up here, with its reason

app = Chalice(app_name="marketplace")
observability.install(app)

app.register_blueprint(platform.bp)
app.register_blueprint(notify.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(policies.bp)
app.register_blueprint(identity.bp)
app.register_blueprint(profiles.bp)
app.register_blueprint(projects.bp)
app.register_blueprint(contracts.bp)

if settings.is_local():
    from chalicelib import devtools

    app.register_blueprint(devtools.bp)
