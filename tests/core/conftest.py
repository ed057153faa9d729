import pytest

import minipyro


@pytest.fixture(autouse=True)
def clean_core_state():
    """Each test starts with an empty param store, and must leave the handler stack empty."""
    minipyro.get_param_store().clear()
    yield
    assert minipyro.PYRO_STACK == [], "a test left handlers on the stack"
    minipyro.get_param_store().clear()
