"""Broadcasts in the bot gateway: the per-bot sender (`sender`), its pacing (`pace`), how a
broadcast's content becomes a Bot API message (`content`) and the admin's progress message
(`progress`). The core holds the broadcast and its progress (BroadcastService); this package only
sends what it leases and reports back what became of each message.
"""
