"""Processing a video: idempotent `ensure_*` steps run in order by one Celery task (`media` queue).

Each step works out what is missing and skips what is done, so a retried, requeued or redelivered
run continues where the last one stopped. See `runner.py` for the order and the money.
"""
