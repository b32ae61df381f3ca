"""The Chalice application: one Blueprint per API area (`chalicelib/api/`) and per group
of event handlers (`chalicelib/handlers/`)."""
from chalicelib.api import (
    accounts,
    consents,
    contracts,
    deletion,
    disclosures,
    edge,
    exports,
    identity,
    money,
    platform,
    policies,
    profiles,
    projects,
)
from chalicelib.core import observability, privacy, settings
from chalicelib.core.application import Application
from chalicelib.handlers import changes, erasure, fanout, marketplace, notifications, payments, retention
from chalicelib.handlers import exports as export_handlers
from chalicelib.handlers import policies as policy_handlers

privacy.active()  # a missing or invalid privacy profile stops start-up here, with its reason

app = Application(app_name="marketplace")  # Chalice, its current request per thread (local API threads)
observability.install(app)

app.register_blueprint(platform.bp)
app.register_blueprint(changes.bp)
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

# Lambda runs each event function as `app.<name>` (infra/stack.py sets every Handler so): importing
# this module first registers the blueprints, so the middleware (correlation ids, the `function`
# metric the alarms read, tracing) and the start-up checks above run for them too. Chalice would
# name the blueprint's own module (chalicelib.handlers.<module>.<name>, aws/chalice#1566), where
# none of this happens; tests/test_deploy_stack.py checks every event source is named here.
route_changes = changes.route_changes
erase_accounts = erasure.erase_accounts
watch_erasures = erasure.watch_erasures
build_exports = export_handlers.build_exports
send_fanouts = fanout.send_fanouts
bid_notices = marketplace.bid_notices
deliver_notifications = notifications.deliver_notifications
release_due_notifications = notifications.release_due_notifications
settle_payments = payments.settle_payments
watch_payments = payments.watch_payments
announce_policy_versions = policy_handlers.announce_policy_versions
apply_policy_versions = policy_handlers.apply_policy_versions
erase_closed_accounts = retention.erase_closed_accounts
expire_exports = retention.expire_exports
purge_identity_documents = retention.purge_identity_documents
purge_usage_data = retention.purge_usage_data
remove_abandoned_signups = retention.remove_abandoned_signups

if settings.is_local():
    from chalicelib.api import devtools

    app.register_blueprint(devtools.bp)

# last: CORS, preflights and 405s for every path the app has, the local ones included (api/edge.py)
edge.register(app)
