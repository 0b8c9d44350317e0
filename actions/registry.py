"""Every action the server runs, built once with the shared back-end client."""

from __future__ import annotations

from rasa_sdk import Action

from actions.backend import Backend
from actions.confirmation import ActionAskConfirmed
from actions.conversation import (
    ActionDefaultAskAffirmation,
    ActionDefaultFallback,
    ActionHumanHandoff,
    ActionRetry,
    ActionStopTask,
    ActionSwitchTask,
)
from actions.exam_booking import (
    ActionAskExamSite,
    ActionBookExam,
    ValidateExamBookingForm,
)
from actions.exam_manage import (
    ActionCancelExamBooking,
    ActionQueryExamBooking,
    ActionRescheduleExamBooking,
    ValidateExamCancelForm,
    ValidateExamQueryForm,
    ValidateExamRescheduleForm,
)
from actions.hotline import (
    ActionFileTicket,
    ActionQueryTicket,
    ValidateTicketForm,
    ValidateTicketQueryForm,
)
from actions.inspection import (
    ActionBookInspection,
    ActionQueryInspection,
    ValidateInspectionBookingForm,
    ValidateInspectionQueryForm,
)
from actions.license import ActionQueryLicense, ValidateLicenseForm
from actions.offices import ActionQueryOffice
from actions.ratings import (
    ActionRateService,
    ActionSubmitFeedback,
    ValidateFeedbackForm,
)
from actions.violations import (
    ActionPayFine,
    ActionQueryViolations,
    ValidatePayFineForm,
    ValidateViolationForm,
)

BACKEND_ACTIONS = (
    ActionAskConfirmed,
    ActionAskExamSite,
    ActionBookExam,
    ValidateExamBookingForm,
    ActionQueryExamBooking,
    ActionCancelExamBooking,
    ActionRescheduleExamBooking,
    ValidateExamQueryForm,
    ValidateExamCancelForm,
    ValidateExamRescheduleForm,
    ActionFileTicket,
    ActionQueryTicket,
    ValidateTicketForm,
    ValidateTicketQueryForm,
    ActionQueryInspection,
    ActionBookInspection,
    ValidateInspectionQueryForm,
    ValidateInspectionBookingForm,
    ActionQueryLicense,
    ValidateLicenseForm,
    ActionQueryOffice,
    ActionRateService,
    ActionSubmitFeedback,
    ValidateFeedbackForm,
    ActionQueryViolations,
    ActionPayFine,
    ValidateViolationForm,
    ValidatePayFineForm,
)
PLAIN_ACTIONS = (
    ActionStopTask,
    ActionSwitchTask,
    ActionHumanHandoff,
    ActionDefaultFallback,
    ActionDefaultAskAffirmation,
)


def build_actions(backend: Backend) -> dict[str, Action]:
    """Name → action instance, every action of the domain."""
    actions: dict[str, Action] = {}
    for cls in BACKEND_ACTIONS:
        action = cls(backend)  # type: ignore[abstract]
        actions[action.name()] = action
    for plain in PLAIN_ACTIONS:
        action = plain()
        actions[action.name()] = action
    retry = ActionRetry(actions.get)
    actions[retry.name()] = retry
    return actions
