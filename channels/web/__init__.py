"""Web chat channel: the page at ``/`` and its JSON API."""
