"""Marketplace backend: everything deployed to Lambda lives in this package."""
