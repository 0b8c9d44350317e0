"""Chinese text understanding: pure helpers and the Rasa components wrapping them."""
