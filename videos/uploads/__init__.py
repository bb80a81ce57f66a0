"""Resumable uploads in parts: one protocol, two stores (local storage now; S3 multipart next)."""
