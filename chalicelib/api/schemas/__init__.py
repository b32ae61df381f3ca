"""Request and response models, one module per API area.

Routes name them through `core.lazy.refs`, so a module here is imported, and its
classes built, only when a route of its area first runs (or the OpenAPI document is
built): a cold start pays for the models its first request needs, not for all."""
