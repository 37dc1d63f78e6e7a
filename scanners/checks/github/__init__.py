"""Importing this package registers every GitHub organisation check in REGISTRY."""

from scanners.checks.github import org, repos

__all__ = ["org", "repos"]
