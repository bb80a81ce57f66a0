"""Text embedding, the one home for it: all-MiniLM-L6-v2 sentence vectors (384-d) for transcript
search, chat and summaries. Not the clip embeddings of `videos.embeddings` (picture and sound).

- `model`: the model in this process (`embed_texts`, `embed_query`).
- `child`: the web process's embedding child, which holds the model instead of the web process.
- `batching`: texts embedded from async code, batched with any others waiting.

Nothing is imported here: the child imports `child` before Django is set up, and `model` reads the
database's vector size from `videos.models`.
"""
