"""The settings of the unit layer's Hypothesis properties: enough examples to find a broken
rule, no deadline and no input-speed health check (a shared 2-core machine under load
would fail a property for its own slowness, not the rule's)."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

rule = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
