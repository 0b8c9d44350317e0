"""Channel gateway: relays Telegram, WeChat, SMS, voice and web chat to Rasa."""
