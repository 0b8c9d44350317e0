"""One citizen, several channels: bind a proven mobile number to a conversation.

A citizen writes "绑定手机 13800138000" on any channel; the gateway texts a
six-digit code to that number; replying with the code links the channel to
the conversation ``citizen:<pseudonym of the number>``. Every channel bound to
the same number (and SMS from that number itself) then continues one Rasa
conversation. "解除绑定" unlinks the channel it is sent on.
"""
