"""How every part of the check says that something is not as it must be."""


class CheckFailed(Exception):
    """A check on what a function did failed; the message says what was expected."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
