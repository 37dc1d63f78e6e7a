"""Imported by the end-to-end test's Celery worker (`celery -A config worker -I tests.scanners.worker_fakes`):
the fake cloud and checks, installed in the worker process, seeded with the default resources."""

from tests.scanners import fakes

fakes.install(setattr)
fakes.CLOUD.seed_default()
