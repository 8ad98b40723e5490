"""`python -m distillguard ...`: the same commands as the `distillguard` script."""

from distillguard.cli.main import app

app(prog_name="distillguard")
