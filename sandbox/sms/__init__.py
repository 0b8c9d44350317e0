"""A simulated SMS provider and handsets, so the SMS channel works without an account.

The gateway's Twilio adapter sends through ``/sms-provider`` (Twilio's
``Messages.json``, HTTP Basic auth); a person or a test plays a citizen's
phone through ``/sms-handset``: messages typed there reach the gateway as a
signed Twilio webhook, and what the gateway sends back is listed per phone.
"""
