"""Human-helper inbox, console side: the gateway's internal API as a typed service."""
