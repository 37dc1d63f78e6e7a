"""The register's models, one module per part: the catalog and register, exemptions, summaries, audit events."""

from compliance.models.audit import (  # noqa: F401
    AuditEvent,
    AuditEventIsPermanent,
    AuditEventQuerySet,
    AuditVerb,
)
from compliance.models.comments import (  # noqa: F401
    ControlComment,
    ControlCommentIsPermanent,
    ControlCommentQuerySet,
)
from compliance.models.exemptions import (  # noqa: F401
    Exemption,
    ExemptionIsDecided,
    ExemptionQuerySet,
    ExemptionState,
    exemption_expiry_limit,
    exemption_state_q,
    last_day_in_force,
)
from compliance.models.register import (  # noqa: F401
    APPLICABLE_STATUS,
    CLOSED_TICKET_STATES,
    EXCLUDED_STATUS,
    HTTP_URL,
    NEEDS_JUSTIFICATION,
    SOA_FIELDS,
    Control,
    ControlMapping,
    ControlQuerySet,
    ControlStatus,
    Document,
    DocumentKind,
    DocumentLink,
    Framework,
    LinkOrigin,
    LinkRecord,
    MappingRelation,
    Ticket,
    TicketLink,
    TicketSystem,
    ref_sort_key,
    validate_http_url,
)
from compliance.models.summaries import (  # noqa: F401
    AutomatedStatus,
    ControlState,
    DailySnapshot,
    NoticeKind,
    OwnerNotice,
    WebhookDelivery,
    WebhookSource,
)
