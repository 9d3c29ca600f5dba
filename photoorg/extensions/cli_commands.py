"""Subcommands of the `photoorg` command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from photoorg.extensions._point import NamedExtensionPoint

#: (the subparsers, the parser of the options every command shares: --library,
#: --json) -> None; each subcommand sets ``handler`` (args -> exit status)
CommandGroup = Callable[["argparse._SubParsersAction[Any]", argparse.ArgumentParser], None]

_point: NamedExtensionPoint[CommandGroup] = NamedExtensionPoint("command group")


def register_cli_commands(group: str, add_commands: CommandGroup) -> None:
    _point.register(group, add_commands)


def cli_command_groups() -> Mapping[str, CommandGroup]:
    return _point.items()
