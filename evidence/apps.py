from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from ledger.chain import track, track_links

        evidence = self.get_model("Evidence")
        track(evidence)
        track_links(evidence.controls.through)  # which controls an item evidences is part of what it attests
        track(self.get_model("EvidencePart"))  # a scan report's results files, named by hash in the report
        track_links(evidence.parts.through)
