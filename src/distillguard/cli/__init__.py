"""The `distillguard` command line."""
