from . import netvisor_period_close  # noqa: F401
