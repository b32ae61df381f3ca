"""The event functions (streams, queues, schedules): one Blueprint per group.

In Lambda each of them starts from its own module: Chalice's Handler for a blueprint's
function is `chalicelib.handlers.<module>.<function>` (aws/chalice#1566), so `app.py`
never ran there and the app's middleware (the logs' correlation id, the `function`
metric the alarms read, tracing) and its start-up checks were missing from every event
function. In Lambda only, importing this package imports the app first, which registers
the blueprints and their middleware; `infra/bundle_check.py` checks it on the bundle.
"""
import importlib
import os
import sys

if os.environ.get("LAMBDA_TASK_ROOT") and "app" not in sys.modules:
    importlib.import_module("app")
