"""Load generator: simulated citizens against govbot, measured beside stock Rasa 3.6."""
