"""The README's command-line section against ``--help`` of every command (issue 33, items 7/9):
every option of every command is named under its command, every option named exists, and the
choices listed are the parser's."""
import re
from pathlib import Path

import pytest

from nslkit.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS = ("train", "bench", "reproduce", "status", "migrate")
OPTION = re.compile(r"--[a-z][a-z0-9-]*")
#: "`--backend` (auto eager …)": an option and its choices (lowercase words; a colon ends the list)
LISTED = re.compile(r"`(--[a-z][a-z0-9-]*)[^`]*` \(([a-z0-9_]+(?: [a-z0-9_]+)+)[:)]")


def _help(command: str, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


def _section() -> str:
    text = README.read_text()
    start = text.index("### Command line\n")
    end = re.compile(r"^#{2,3} ", re.M).search(text, start + 1)
    return text[start:end.start() if end else None]


def _bullets() -> dict[str, str]:
    """{command: the text of its bullet} in the README's command-line section."""
    parts = re.split(r"^\* `([a-z]+)`:", _section(), flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _choices(help_text: str) -> dict[str, set[str]]:
    return {m[1]: set(m[2].split(",")) for m in re.finditer(r"(--[a-z][a-z0-9-]*) \{([^}]*)\}", help_text)}


def test_every_command_has_its_bullet():
    assert tuple(_bullets()) == COMMANDS
    assert "python -m nslkit " + " | ".join(COMMANDS) in README.read_text()  # the layout's line for cli.py


@pytest.mark.parametrize("command", COMMANDS)
def test_the_readme_names_exactly_the_options_of_each_command(command, capsys):
    helped = set(OPTION.findall(_help(command, capsys))) - {"--help"}
    named = set(OPTION.findall(_bullets()[command]))
    assert not helped - named, f"`{command} --help` has options the README does not name: {sorted(helped - named)}"
    assert not named - helped, f"the README names options `{command}` does not have: {sorted(named - helped)}"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_choices_listed_are_the_parsers(command, capsys):
    choices = _choices(_help(command, capsys))
    flat = lambda text: " ".join(text.split())  # noqa: E731 - a listing may wrap
    here = {m[1]: set(m[2].split()) for m in LISTED.finditer(flat(_bullets()[command]))}
    anywhere: dict[str, list[set[str]]] = {}
    for m in LISTED.finditer(flat(_section())):
        anywhere.setdefault(m[1], []).append(set(m[2].split()))
    for option, valid in choices.items():
        if option in here:
            assert here[option] == valid, f"{command} {option}: README lists {sorted(here[option])}, not {sorted(valid)}"
        else:  # listed under another command, with the same choices
            assert valid in anywhere.get(option, []), f"{command} {option}: its choices {sorted(valid)} are not listed"
    for option in here.keys() - choices.keys():
        assert option == "--only", f"the README lists choices of {command} {option}, which takes none"
