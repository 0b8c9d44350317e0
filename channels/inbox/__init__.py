"""Human-helper inbox, gateway side: handed-off conversations, staff replies, release.

When Rasa pauses a conversation (``action_human_handoff`` or the fallback that
gives up) the relay tells the ``HandoffRecorder``; it keeps a record of the
handoff and, sealed, the channel address needed to reach the citizen later.
The staff console drives the rest through the internal API (``routes.py``):
list, show (masked transcript and slots), reply on the citizen's own channel,
release back to the bot.
"""
