"""The review console: server-rendered pages at `/console` where reviewers work the queue.

`console_mount(...)` is what the gateway mounts; everything HTTP about the console (sessions,
CSRF, pages, actions, security headers) lives in this package.
"""

from distillguard.console.app import console_mount

__all__ = ["console_mount"]
