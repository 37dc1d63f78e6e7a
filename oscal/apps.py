from django.apps import AppConfig


class OscalConfig(AppConfig):
    name = "oscal"
    verbose_name = "OSCAL export"

    def ready(self) -> None:
        from evidence.package import package_section_register
        from oscal.export import package_section

        package_section_register(package_section)
