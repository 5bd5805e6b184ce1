"""A copy of serverless.yml with one deliberate defect is packaged and fails the same check that
the real file passes, with a message naming the defect."""

from __future__ import annotations

import pytest

from expected import FUNCTIONS
from mutations import MUTATIONS


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_broken_copy_fails_its_check(mutation, template, packagings):
    mutation.check(template, FUNCTIONS)  # the real file passes

    broken = packagings[mutation.name].result().template
    assert broken != template, f"{mutation.name}: the edit changed nothing in the template"
    with pytest.raises(AssertionError, match=mutation.message) as failure:
        mutation.check(broken, FUNCTIONS)
    print(f"{mutation.name} ({mutation.what}):\n{failure.value}")
