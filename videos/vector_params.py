"""Vectors as parameters of fixed SQL, in pgvector's binary form.

pgvector's Django field and `Vector.to_text()` send a vector as text: its 384 floats formatted by
Python one by one, then parsed again by Postgres. On the chat's hot path (the question's vector in
the one-video search and stored by `answer_complete`) that formatting was ~3 % of a web process's
interpreter time in a burst of fifty questions (py-spy --gil). `binary_vector(v)` in a `%s::vector`
place sends the 4 bytes of each float as they are: psycopg sends the parameter untyped, in binary,
and Postgres takes its type (and pgvector's binary input) from the cast.

Registered in psycopg's default adapters when this module is imported: Django copies them into
each connection's as it first connects, so `videos.apps` imports it at start-up.
"""

from __future__ import annotations

import numpy as np
import psycopg
from pgvector import Vector
from pgvector.psycopg.vector import VectorBinaryDumper, VectorDumper


class BinaryVector(Vector):
    """A pgvector `Vector` that psycopg sends in binary."""


# The text form for where Django writes a query out in full (the debug log, captured queries); the
# binary one, registered last, for sending.
psycopg.adapters.register_dumper(BinaryVector, VectorDumper)
psycopg.adapters.register_dumper(BinaryVector, VectorBinaryDumper)


def binary_vector(vector: np.ndarray | None) -> BinaryVector | None:
    """`vector` as a parameter for a `%s::vector` place (None stays NULL)."""
    return None if vector is None else BinaryVector(np.asarray(vector, np.float32))
