import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def heap_freeze() -> None:
    """Load every view now and move what is loaded out of the garbage collector's sight.

    Modules, URL patterns, check registries and templates live as long as the process. Left tracked, every
    full collection walks them all (~150,000 objects: 40-110 ms of one request, once in every few dozen
    requests, the p95 of the API lists in docs/benchmarks.md); frozen, a collection walks only what
    requests created.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every urls and views module
    gc.collect()
    gc.freeze()


heap_freeze()
