"""The leaderboard workflow's structure, and that every `mousescore` command in it parses with the CLI
as it is now, so that the workflow cannot drift from the CLI unnoticed."""
import argparse
import re
import shlex
from pathlib import Path

import pytest
import yaml

from mousescore.cli import _parser
from mousescore.registry.plugins import get_registry

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "leaderboard.yml"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
FORK = "github.event.pull_request.head.repo.full_name != github.repository"
# `mousescore` as a command word: at the start, after whitespace or a shell operator, up to the next one.
MOUSESCORE_COMMAND = re.compile(r"(?:^|(?<=[\s;&|(]))mousescore\s+([^;&|)\n]*)")


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def triggers(workflow):
    return workflow[True] if True in workflow else workflow["on"]   # YAML 1.1 reads the key `on` as True


def steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def step_index(workflow, job, text):
    found = [i for i, step in enumerate(steps(workflow, job)) if text in step.get("run", "") + step.get("uses", "")]
    assert found, f"no step of job {job} runs or uses {text!r}"
    return found[0]


def mousescore_commands(workflow):
    """(job, argument list) of every `mousescore` invocation in a run script."""
    commands = []
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            script = step.get("run", "").replace("\\\n", " ")
            for line in script.splitlines():
                if line.strip().startswith("#"):
                    continue
                commands += [(job_name, shlex.split(match)) for match in MOUSESCORE_COMMAND.findall(line)]
    return commands


def subparsers(parser):
    """{subcommand: its parser} of an argparse parser; {} for a parser without subcommands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def subcommand_tree(parser):
    return {name: subcommand_tree(sub) for name, sub in subparsers(parser).items()}


def without_abbreviations(parser):
    """The CLI's parser, refusing abbreviated options: the workflow spells every option out."""
    parser.allow_abbrev = False
    for sub in subparsers(parser).values():
        without_abbreviations(sub)
    return parser


def test_triggers_are_plugin_pull_requests_and_pushes_to_main(workflow):
    on = triggers(workflow)
    assert set(on) == {"pull_request", "push"}
    assert on["pull_request"]["paths"] == ["plugins/**", "submissions/**"]
    assert on["push"]["branches"] == ["main"]
    assert workflow["jobs"]["submission"]["if"] == "github.event_name == 'pull_request'"
    assert workflow["jobs"]["site"]["if"] == "github.event_name == 'push'"


def test_permissions_are_read_only_unless_a_job_needs_more(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["submission"]["permissions"] == {"contents": "write"}
    assert workflow["jobs"]["site"]["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["jobs"]["site"]["environment"]["name"] == "github-pages"


def test_a_pull_request_installs_checks_scores_exports_and_builds_in_that_order(workflow):
    python = [s for s in steps(workflow, "submission") if s.get("uses", "").startswith("actions/setup-python@")]
    assert [s["with"]["python-version"] for s in python] == ["3.11"]
    order = [step_index(workflow, "submission", text) for text in (
        'python -m pip install -e ".[test]"', "mousescore submission check", "mousescore data fetch",
        "mousescore score", "mousescore results export", "mousescore leaderboard build",
        "actions/upload-artifact@")]
    assert order == sorted(order) and len(set(order)) == len(order)


def test_models_are_scored_on_every_public_benchmark(workflow):
    scored = [args for job, args in mousescore_commands(workflow) if args[0] == "score"]
    assert scored == [["score", "$model", "allen.*", "allen_surrogate.*", "cowley2023.V4-srp_ridge",
                       "kriegeskorte2008.IT-rsa", "--no-progress"]]
    registry = get_registry()   # the identifiers and globs name benchmarks that exist
    matched = registry.match("benchmark", scored[0][2:6])
    assert {"allen.VISp-rsa", "allen_surrogate.VISp-srp_ridge", "cowley2023.V4-srp_ridge",
            "kriegeskorte2008.IT-rsa"} <= set(matched)


def test_only_a_pull_request_from_this_repository_is_pushed_to(workflow):
    submission = steps(workflow, "submission")
    pushing = [s for s in submission if "git push" in s.get("run", "")]
    assert len(pushing) == 1 and SAME_REPOSITORY in pushing[0]["if"]
    branch_checkout = next(s for s in submission if s.get("with", {}).get("path") == "pr-branch")
    assert SAME_REPOSITORY in branch_checkout["if"]
    uploads = {s["with"]["name"]: s for s in submission if s.get("uses", "").startswith("actions/upload-artifact@")}
    assert set(uploads) == {"leaderboard-site", "result-records"}
    assert FORK in uploads["result-records"]["if"] and "repo.full_name" not in uploads["leaderboard-site"]["if"]


def test_a_push_to_main_builds_and_deploys_the_site(workflow):
    order = [step_index(workflow, "site", text) for text in (
        "mousescore leaderboard build", "actions/upload-pages-artifact@", "actions/deploy-pages@")]
    assert order == sorted(order)
    upload = steps(workflow, "site")[order[1]]
    assert upload["with"]["path"] == "site"


def test_every_action_is_pinned_to_a_version_tag(workflow):
    used = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert len(used) >= 8
    unpinned = [u for u in used if not re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}", u)]
    assert not unpinned


def test_every_mousescore_command_names_an_existing_subcommand(workflow):
    tree = subcommand_tree(_parser())
    commands = mousescore_commands(workflow)
    invoked = {" ".join(args[:2]) if tree.get(args[0]) else args[0] for _, args in commands}
    assert invoked == {"submission check", "list", "data fetch", "score", "results export", "leaderboard build"}
    for _, args in commands:
        assert args[0] in tree, f"mousescore has no subcommand '{args[0]}'"
        if tree[args[0]]:
            assert args[1] in tree[args[0]], f"'mousescore {args[0]}' has no subcommand '{args[1]}'"


def test_every_mousescore_command_parses_with_the_cli(workflow):
    for job, args in mousescore_commands(workflow):
        try:
            without_abbreviations(_parser()).parse_args(args)
        except SystemExit:
            pytest.fail(f"job {job}: `mousescore {shlex.join(args)}` does not parse with mousescore.cli")


def test_the_check_judges_a_plugin_before_any_of_its_code_runs_in_the_job(workflow):
    """`submission check` installs and probes in a throw-away environment; only a plugin that passed is
    installed into the job's own environment, where it could otherwise rewrite the checker first."""
    step = steps(workflow, "submission")[step_index(workflow, "submission", "mousescore submission check")]
    commands = [line.strip() for line in step["run"].splitlines() if line.strip() and not line.strip().startswith("#")]
    check = next(i for i, line in enumerate(commands) if line.startswith("mousescore submission check"))
    installs = [i for i, line in enumerate(commands) if "pip install" in line]
    assert commands[check] == 'mousescore submission check --with-dependencies "$folder"'
    assert installs and all(i > check for i in installs), commands
    assert "set +e" not in step["run"] and "|| true" not in step["run"]   # a failed check fails the job
