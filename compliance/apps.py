from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance register"

    def ready(self) -> None:
        from compliance import events  # noqa: F401 - connects the role-event receiver
        from ledger.chain import track

        track(self.get_model("AuditEvent"))
