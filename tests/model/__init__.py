"""Helpers of the model-based test (tests/test_model.py): the checked HTTP client and
the reads of the stack's own moto that only a test may make."""
