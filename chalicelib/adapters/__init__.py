"""Adapters: the only modules that talk to AWS services other than DynamoDB."""
