"""distillguard: detect, throttle and prove capability extraction through a model API."""

__version__ = "0.1.0"
