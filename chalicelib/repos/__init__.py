"""Repositories: data access on the PynamoDB models, one module per aggregate."""
