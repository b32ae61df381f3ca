"""The local cloud: an embedded moto, provisioned from `chalicelib.core.resources`, with the
Lambda event sources AWS would drive (streams, queues, schedules, TTL) emulated here.
Never deployed: Chalice packages only `app.py` and `chalicelib/`.
"""
