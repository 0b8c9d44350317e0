"""The conversation log database: schema, migrations, queries, retention, audit log.

The Rasa engine appends masked events to ``conversation_events`` (through
``bot.event_log``); this package owns the schema and everything that reads it.
"""
