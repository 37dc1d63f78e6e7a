"""Checks: small declared pure functions over one resource document (no boto3, no Django)."""
