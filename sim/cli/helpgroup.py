"""`lunarsim --help` lists each command with its whole first sentence.

Click cuts a command's description at about 45 characters and ends it with "..."; this group
gives the whole sentence, which the help formatter wraps to the terminal's width.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup


class WholeHelpGroup(TyperGroup):
    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
