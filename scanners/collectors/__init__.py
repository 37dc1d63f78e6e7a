"""Collectors read one AWS service and yield plain resource documents for the checks."""
