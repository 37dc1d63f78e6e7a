"""Cloud accounts, scan runs, the resource inventory and findings."""
