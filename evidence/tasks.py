"""Evidence tasks: they take ids, claim the work with one atomic update, and call a service."""

from celery import shared_task

from evidence.models import AuditPackage, PackageState
from evidence.package import audit_package_build


@shared_task(acks_late=True)
def build_audit_package(package_id: int) -> str:
    # Claiming queued -> running in one UPDATE makes a redelivered message (acks_late) a no-op.
    claimed = AuditPackage.objects.filter(pk=package_id, state=PackageState.QUEUED).update(state=PackageState.RUNNING)
    if not claimed:
        return "already claimed"
    return audit_package_build(package=AuditPackage.objects.get(pk=package_id)).state
