"""The assistant's definition and process wiring."""
