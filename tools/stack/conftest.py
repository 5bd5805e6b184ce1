"""Packages the real serverless.yml and every broken copy once per session, in parallel."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from mutations import MUTATIONS
from packager import REPO, Packaged, package, store

REAL = "serverless.yml"


@pytest.fixture(scope="session")
def packagings(tmp_path_factory) -> dict[str, Future]:
    """{REAL or a mutation's name: Future[Packaged]}. All start at once: the real file first."""
    original = (REPO / "serverless.yml").read_text()
    scratch = tmp_path_factory.mktemp("packaged")
    jobs = {REAL: lambda: original}
    for mutation in MUTATIONS:
        jobs[mutation.name] = lambda edit=mutation.edit: edit(original)
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))

    def run(name: str, make_text) -> Packaged:
        return package(make_text(), scratch / name)

    futures = {name: pool.submit(run, name, make_text) for name, make_text in jobs.items()}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def packaged(packagings) -> Packaged:
    """The real file's packaging, also kept for tools/lambda-check (packager.store)."""
    real = packagings[REAL].result()
    store(real, (REPO / "serverless.yml").read_text())
    return real


@pytest.fixture(scope="session")
def template(packaged) -> dict:
    return packaged.template
