from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ScannersConfig(AppConfig):
    name = "scanners"
    verbose_name = "Cloud scanners"

    def ready(self) -> None:
        from compliance import dashboard, detail
        from compliance.models import ControlMapping
        from scanners.automation import mapping_changed
        from scanners.control_page import automated_sources_section
        from scanners.dashboard_panel import failing_checks_panel
        from scanners.engine import registries_load

        registries_load()
        detail.section_add("automated_sources", automated_sources_section)
        dashboard.panel_add("failing_checks", failing_checks_panel)

        # A corrected relation (intersect -> equal, or back) changes which checks decide a control at once,
        # not at the next scan: the status must never keep saying what the catalog no longer supports.
        post_save.connect(mapping_changed, sender=ControlMapping, dispatch_uid="scanners-mapping-saved")
        post_delete.connect(mapping_changed, sender=ControlMapping, dispatch_uid="scanners-mapping-deleted")
