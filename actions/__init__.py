"""Rasa SDK action server: forms, validation and back-end calls for every task."""
