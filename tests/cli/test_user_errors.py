"""Every error a person reads shares one base class, and the command line reports each the same way."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from rm_plugin.cli.context import Commands
from rm_plugin.config import ConfigError, ConfigProblem
from rm_plugin.enrolment.applications import ClosedProgramme
from rm_plugin.errors import NotFound, ProgrammeError, RowError, UserError
from rm_plugin.exports.renderer import TemplateProblem
from rm_plugin.matching.state import MatchingError
from rm_plugin.people.roster_import import NoSource
from rm_plugin.plugins import PluginError
from rm_plugin.programme.surveys import TooFewResponses
from rm_plugin.site import SiteNotFound
from rm_plugin.store.database import DatabaseUnavailable
from rm_plugin.sync.status import NothingToRetry


@pytest.mark.parametrize(
    "error",
    [
        ProgrammeError,
        NotFound,
        RowError,
        ClosedProgramme,
        TooFewResponses,
        MatchingError,
        NoSource,
        TemplateProblem,
        NothingToRetry,
        SiteNotFound,
        PluginError,
        ConfigError,
        DatabaseUnavailable,
    ],
)
def test_each_stage_error_is_a_user_error(error: type[Exception]) -> None:
    assert issubclass(error, UserError)


def run(error: UserError) -> tuple[int, str]:
    @click.group(cls=Commands)
    def cli() -> None:
        pass

    @cli.command()
    def act() -> None:
        raise error

    result = CliRunner().invoke(cli, ["act"])
    return result.exit_code, result.output


def test_a_refused_action_is_one_line_and_status_1() -> None:
    assert run(MatchingError("no pair 7 in 'rm-2026'")) == (1, "Error: no pair 7 in 'rm-2026'\n")


def test_a_site_that_cannot_run_is_one_line_per_problem_and_status_2() -> None:
    problems = [ConfigProblem("rm-plugin.toml", "site.name", "missing"), ConfigProblem("x.toml", "", "bad")]
    assert run(ConfigError(problems)) == (
        2,
        "error: rm-plugin.toml: site.name: missing\nerror: x.toml: bad\n",
    )
    assert run(DatabaseUnavailable("cannot open the database sqlite:///x")) == (
        2,
        "error: cannot open the database sqlite:///x\n",
    )
