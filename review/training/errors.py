"""Typed failures of retraining, comparison and promotion.

Messages are in Chinese: the console shows them to staff as they are.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base of every failure this package reports to staff."""


class AlreadyRunning(TrainingError):
    """A training job is already running; only one may run at a time."""

    def __init__(self, job_id: int) -> None:
        """Names the running job."""
        super().__init__(f"已有训练任务正在进行（任务 #{job_id}），请等它结束后再试。")
        self.job_id = job_id


class ModelNotFound(TrainingError):
    """No model file of that name in the expected folder."""


class ModelCorrupt(TrainingError):
    """The model file cannot be read (truncated, not a Rasa model)."""


class EngineFailed(TrainingError):
    """Training or evaluation in the engine environment did not succeed."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        """The message for staff and the (masked) end of the engine's output."""
        super().__init__(message)
        self.log_tail = log_tail


class GateRefused(TrainingError):
    """The candidate is worse than the live model (reasons listed)."""

    def __init__(self, reasons: list[str]) -> None:
        """Every reason the gate gave."""
        super().__init__("候选模型未通过回归检查：" + "；".join(reasons))
        self.reasons = reasons
