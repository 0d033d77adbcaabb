"""Every write the gateway makes, in one place.

| module | holds |
| --- | --- |
| ``jobs`` | the job store: jobs, chunks and items with their states, beside the read model |
| ``job_records``, ``job_reads`` | the store's values (states, ``Job``, ``ClaimedChunk``) and its reads |
| ``worker`` | the workers that claim chunks under a lease, run them, recover a dead process's |
| ``submit`` | checking a write's size, recording its job, waiting for it; item results |
| ``omnicommerce`` | OMNICOMMERCE register / update / delete: item checks, the chunk executor |
| ``citrusad`` | CitrusAd sync / inventory / delete: item checks, the chunk executor |
| ``pim`` | the PIM's product and structure writes (one request each, per-item answers) |
| ``publishing`` | PIM products mapped onto OMNICOMMERCE and CitrusAd, written as jobs |
"""
