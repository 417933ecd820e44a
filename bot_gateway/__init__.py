"""Bot gateway: one process running the Telegram bots of every tenant that has one.

Handlers turn Telegram updates into SDK calls to the core; nothing here touches a database or
keeps business state.
"""
