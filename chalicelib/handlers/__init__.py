"""The event functions (streams, queues, schedules): one Blueprint per group.

In Lambda each of them runs as `app.<name>` (see app.py), so the app and its middleware
are set up before any of them runs.
"""
