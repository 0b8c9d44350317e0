"""Test support shared by several suites: real services started on loopback."""
