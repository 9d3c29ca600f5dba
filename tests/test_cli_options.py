"""Global options (--library, --json, --verbose) work before and after every
command, nested ones included, and a library the user did not name is never
touched."""

from __future__ import annotations

import argparse
import json

import pytest

from photoorg.cli.main import build_parser
from photoorg.library import Library
from tests.cli_helpers import run_cli

# One runnable command line per command (and per action of the commands that
# take one). The test below fails when a command is added without a line here.
SAMPLES: dict[tuple[str, ...], list[str]] = {
    ("index",): ["index"],
    ("search",): ["search", "tag:beach"],
    ("similar",): ["similar", "nowhere.jpg"],
    ("show",): ["show", "nowhere.jpg"],
    ("status",): ["status"],
    ("roots", "list"): ["roots", "list"],
    ("roots", "add"): ["roots", "add", "{photos}"],
    ("roots", "remove"): ["roots", "remove", "{photos}"],
    ("models", "list"): ["models", "list"],
    ("models", "get"): ["models", "get"],
    ("gui",): ["gui"],
    ("doctor",): ["doctor"],
    ("rate",): ["rate", "3", "nowhere.jpg"],
    ("favorite",): ["favorite", "nowhere.jpg"],
    ("albums", "list"): ["albums", "list"],
    ("albums", "create"): ["albums", "create", "Trips"],
    ("albums", "rename"): ["albums", "rename", "Trips", "Travels"],
    ("albums", "delete"): ["albums", "delete", "Travels"],
    ("albums", "add"): ["albums", "add", "Trips", "nowhere.jpg"],
    ("albums", "remove"): ["albums", "remove", "Trips", "nowhere.jpg"],
    ("trash",): ["trash", "--yes", "nowhere.jpg"],
    ("tags", "list"): ["tags", "list"],
    ("tags", "add"): ["tags", "add", "beach", "nowhere.jpg"],
    ("tags", "remove"): ["tags", "remove", "beach", "nowhere.jpg"],
    ("tags", "rename"): ["tags", "rename", "beach", "seaside"],
    ("tags", "merge"): ["tags", "merge", "seaside", "beach"],
    ("tags", "delete"): ["tags", "delete", "seaside"],
    ("tags", "concept"): ["tags", "concept", "red car", "--prompt", "a photo of a red car"],
    ("tags", "retag"): ["tags", "retag"],
    ("groups",): ["groups"],
    ("text",): ["text", "nowhere.jpg"],
    ("places",): ["places"],
    ("objects",): ["objects"],
    ("detector", "get"): ["detector", "get"],
    ("detector", "off"): ["detector", "off"],
    ("detector", "status"): ["detector", "status"],
    ("duplicates",): ["duplicates"],
    ("people",): ["people"],
    ("people", "list"): ["people", "list"],
    ("people", "show"): ["people", "show", "1"],
    ("people", "name"): ["people", "name", "1", "Ann"],
    ("people", "merge"): ["people", "merge", "1", "2"],
    ("people", "hide"): ["people", "hide", "1"],
    ("people", "unhide"): ["people", "unhide", "1"],
    ("people", "unknown"): ["people", "unknown"],
    ("people", "suggestions"): ["people", "suggestions"],
    ("people", "assign"): ["people", "assign", "1", "7"],
    ("people", "new"): ["people", "new", "7"],
    ("people", "reject"): ["people", "reject", "7"],
    ("people", "ignore"): ["people", "ignore", "7"],
    ("people", "cover"): ["people", "cover", "1", "7"],
    ("people", "cluster"): ["people", "cluster"],
    ("people", "config"): ["people", "config"],
    ("xmp",): ["xmp"],
    ("xmp", "import"): ["xmp", "import", "--dry-run"],
    ("xmp", "export"): ["xmp", "export", "--dry-run"],
    ("xmp", "write-back"): ["xmp", "write-back"],
}

GLOBAL = ["--library", "{library}", "--json", "--verbose"]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every command, nested subcommand and positional action the parser knows."""
    paths: set[tuple[str, ...]] = set()
    for name, sub in _subparsers(parser).items():
        path = (*prefix, name)
        paths.add(path)
        paths |= _command_paths(sub, path)
        for action in sub._actions:
            if (
                action.dest == "action"
                and action.choices
                and not isinstance(action, argparse._SubParsersAction)
            ):
                paths.discard(path)
                paths |= {(*path, choice) for choice in action.choices}
    return paths


def _fill(words: list[str], **values) -> list[str]:
    return [w.format(**values) for w in words]


def test_every_command_has_a_sample():
    assert _command_paths(build_parser()) == set(SAMPLES)


@pytest.mark.parametrize("path", sorted(SAMPLES), ids=" ".join)
def test_global_options_before_and_after_every_command(path, tmp_path):
    parser = build_parser()
    command = _fill(SAMPLES[path], photos=str(tmp_path))
    options = _fill(GLOBAL, library=str(tmp_path / "named"))
    for argv in (options + command, command + options):
        args = parser.parse_args(argv)
        assert args.library == str(tmp_path / "named"), argv
        assert args.json is True and args.verbose is True, argv
    # Nothing given anywhere: the defaults.
    args = parser.parse_args(command)
    assert args.library is None and args.json is False and args.verbose is False


def test_options_split_around_a_nested_command(tmp_path):
    args = build_parser().parse_args(
        ["--library", str(tmp_path), "people", "--json", "name", "3", "Ann", "Lee", "--verbose"]
    )
    assert (args.library, args.json, args.verbose, args.name) == (str(tmp_path), True, True, ["Ann", "Lee"])


@pytest.mark.parametrize("path", sorted(p for p in SAMPLES if p != ("gui",)), ids=" ".join)
def test_a_library_named_first_is_the_one_used(path, capsys, tmp_path, monkeypatch):
    # conftest points PHOTOORG_LIBRARY here: it must never come into being.
    default = tmp_path / "default-library"
    named = tmp_path / "named"
    photos = tmp_path / "photos"
    photos.mkdir()
    monkeypatch.setenv("PHOTOORG_OFFLINE", "1")
    Library(named).close()
    code, _, err = run_cli(
        capsys, *_fill(GLOBAL, library=str(named)), *_fill(SAMPLES[path], photos=str(photos))
    )
    assert "Traceback" not in err
    assert code in (0, 1), err
    assert not default.exists(), f"{' '.join(path)} touched the default library"


def test_status_reports_the_library_named_before_the_command(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "--library", tmp_path / "lib", "status", "--json")
    assert code == 0 and json.loads(out)["library"] == str(tmp_path / "lib")
    code, out, _ = run_cli(capsys, "--json", "--library", tmp_path / "lib", "status")
    assert code == 0 and json.loads(out)["library"] == str(tmp_path / "lib")
    assert not (tmp_path / "default-library").exists()
