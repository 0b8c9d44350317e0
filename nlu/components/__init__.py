"""Rasa graph components for Chinese NLU, registered by module path in config.yml."""
