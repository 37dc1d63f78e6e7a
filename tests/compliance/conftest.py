"""Fixtures shared by the register's tests."""

import pytest

from compliance.register_io import RegisterInvalid, import_register, parse_register


@pytest.fixture
def problems(ciso):
    """(row, column, message) of every problem the import reports for a file."""

    def collect(path) -> list[tuple]:
        with pytest.raises(RegisterInvalid) as caught:
            import_register(parse_register(path), actor=ciso)
        return [(e.row, e.column, e.message) for e in caught.value.errors]

    return collect
