"""Traffic-management platform (/traffic/v1): one module per area."""
