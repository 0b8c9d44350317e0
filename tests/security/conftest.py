"""Security tests: deterministic hypothesis settings so CI sees the same examples."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "security",
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
