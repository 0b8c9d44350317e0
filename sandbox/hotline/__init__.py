"""12345 hotline (/hotline/v1): tickets and satisfaction ratings."""
