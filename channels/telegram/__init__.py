"""Telegram: rendering bot replies as aiogram calls."""
