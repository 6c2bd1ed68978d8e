from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The shared kernel: what every app uses (crypto, uploads, rate limits, money,
    caches, sessions, private files). It imports no app; settings come from
    ``django.conf``. An installed app for its template tags and system checks."""

    default = True
    name = "kernel"
    verbose_name = "Handoff kernel"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
