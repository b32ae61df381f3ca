"""The contract's tooling (`make contract`, README "Clients"): the OpenAPI document as the
deployed API serves it, written to a file for the linters and the client generators."""
