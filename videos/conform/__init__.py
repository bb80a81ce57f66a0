"""Conform (issue 66): a comparison read as the change list a sound or VFX team works from, the
files their tools read, and audio laid to v1 recut to v2.

`events` holds the one type both halves share: a `ChangeEvent`, a stretch of v2 in v2's order and
where it came from on v1. The change list builds them from a comparison; the recut moves sound by
them.
"""
