"""Every write the gateway makes, in one place.

| module | holds |
| --- | --- |
| ``omnicommerce`` | OMNICOMMERCE register / update / delete: item checks, chunk outcomes, read model |
| ``citrusad`` | CitrusAd sync / inventory / delete: item checks and per-item outcomes |
| ``pim`` | the PIM's product and structure writes (one request each, per-item answers) |
| ``publishing`` | PIM products mapped onto OMNICOMMERCE and CitrusAd |
"""
