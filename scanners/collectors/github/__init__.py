"""Importing this package registers the GitHub organisation's service groups (one unit each per scan)."""

from scanners.collectors.github import org, repos

__all__ = ["org", "repos"]
