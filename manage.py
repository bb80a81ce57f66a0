#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sage.settings")
    from django.core.management import execute_from_command_line

    from sage.services.startup import start_embedded_services

    # Before any command reads settings: they name the servers this starts in development.
    start_embedded_services()

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
