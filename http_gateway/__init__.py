"""HTTP gateway: the hub's face to the web (health now; provider webhooks and REST /api/v1 next).

It holds no state and no secrets of tenants: every request becomes SDK calls to the core.
"""
