"""The Chalice application: one Blueprint per area of `chalicelib/`."""
from chalice import Chalice

from chalicelib import notify, observability, platform, settings

app = Chalice(app_name="marketplace")
observability.install(app)

app.register_blueprint(platform.bp)
app.register_blueprint(notify.bp)

if settings.is_local():
    from chalicelib import devtools

    app.register_blueprint(devtools.bp)
