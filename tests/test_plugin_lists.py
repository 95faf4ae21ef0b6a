"""setup.cfg names every built-in plugin in six places (where its folder installs, the packages, its
entry point, and the three import-linter contracts that cover plugins); a plugin missing from one
installs without registering, or escapes a contract. The folders under plugins/ are the truth."""
import configparser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _setup_cfg(text: str = None) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read_string(text if text is not None else (REPO / "setup.cfg").read_text())
    return parser


def _assignments(text: str) -> dict:
    """``name = value`` lines of a multi-line option."""
    pairs = (line.split("=", 1) for line in text.strip().splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def _plugin_folders() -> set:
    return {str(folder.relative_to(REPO)) for folder in REPO.glob("plugins/*/*") if (folder / "__init__.py").exists()}


def plugin_list_mismatches(parser: configparser.ConfigParser) -> list:
    """Where a list of plugins in setup.cfg differs from the plugins package_dir installs."""
    package_dir = _assignments(parser["options"]["package_dir"])
    plugins = {name for name in package_dir if name != "mousescore"}
    lists = {
        "packages": {name for name in parser["options"]["packages"].split() if not name.startswith("mousescore.")},
        "entry points": set(_assignments(parser["options.entry_points"]["mousescore"]).values()),
        "import-linter root_packages": set(parser["importlinter"]["root_packages"].split()),
        "acyclic contract": set(parser["importlinter:contract:acyclic"]["ancestors"].split()),
        "public-API contract": set(parser["importlinter:contract:public-api"]["source_modules"].split()),
    }
    return [f"{where}: missing {sorted(plugins - names)}, extra {sorted(names - plugins)}"
            for where, names in lists.items() if names - {"mousescore"} != plugins]


def test_every_plugin_folder_is_installed_under_one_import_name():
    package_dir = _assignments(_setup_cfg()["options"]["package_dir"])
    folders = [folder for name, folder in package_dir.items() if name != "mousescore"]
    assert sorted(folders) == sorted(_plugin_folders())


def test_every_plugin_is_packaged_registered_and_under_every_contract():
    assert plugin_list_mismatches(_setup_cfg()) == []


@pytest.mark.parametrize("line, where", [("    majajhong2015 = mousescore_majajhong2015\n", "entry points"),
                                         ("    mousescore_coral\n", "packages")])
def test_a_plugin_left_out_of_a_list_is_caught(line, where):
    text = (REPO / "setup.cfg").read_text()
    assert line in text
    mismatches = plugin_list_mismatches(_setup_cfg(text.replace(line, "", 1)))
    assert len(mismatches) == 1 and mismatches[0].startswith(f"{where}: missing")
