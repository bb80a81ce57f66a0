"""The web process makes comparisons inline: it computes NumPy's products on one thread, as
workers do (sage.blas), so that OpenBLAS's spinning threads do not take the other core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devtools.processes import BASE_DIR, server_env

pytestmark = pytest.mark.django_db(transaction=True)

BLAS_THREADS_AFTER_LOADING_THE_WEB_APP = (
    "import sage.asgi\n"
    "from threadpoolctl import ThreadpoolController\n"
    "print(sorted({pool.num_threads for pool in ThreadpoolController().select(user_api='blas').lib_controllers}))\n"
)


def test_the_web_process_computes_numpy_products_on_one_thread() -> None:
    # As on a machine with two cores or more, whatever this one has.
    env = server_env(TEXT_EMBEDDING_WARM_AT_START="false", OPENBLAS_NUM_THREADS="2")
    loaded = subprocess.run(
        [sys.executable, "-c", BLAS_THREADS_AFTER_LOADING_THE_WEB_APP],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert loaded.stdout.strip().splitlines()[-1] == "[1]"
