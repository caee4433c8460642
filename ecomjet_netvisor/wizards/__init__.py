from . import netvisor_period_close
