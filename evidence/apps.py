from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from compliance import detail, inbox, notifications
        from evidence import requests
        from ledger.chain import track, track_links

        # What the core shows of evidence requests; compliance never imports evidence.
        for source in requests.INBOX_SOURCES:
            inbox.inbox_source_add(source)
        notifications.digest_source_add("evidence_requests", requests.request_events)
        detail.section_add("evidence_requests", requests.requests_section)

        evidence = self.get_model("Evidence")
        track(evidence)
        track_links(evidence.controls.through)  # which controls an item evidences is part of what it attests
        track(self.get_model("EvidencePart"))  # a scan report's results files, named by hash in the report
        track_links(evidence.parts.through)
