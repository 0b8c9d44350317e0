"""Sandbox government back end: traffic management and the 12345 hotline."""
