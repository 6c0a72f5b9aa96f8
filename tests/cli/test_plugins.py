"""Plugins from all three places are loaded and listed; a misspelt hook fails at start."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from rm_plugin.cli import build_cli
from rm_plugin.plugins import PluginError, make_plugin_manager
from rm_plugin.site import Site, create_site


def make_distribution(where: Path, *, hook_name: str = "rm_pair_approved") -> None:
    """A tiny installed distribution: a module plus a dist-info with an `rm_plugin` entry point."""
    (where / "tiny_rm_extension.py").write_text(
        textwrap.dedent(
            f"""
            from rm_plugin import hookimpl

            APPROVED = []

            @hookimpl
            def {hook_name}(pair, approved_by):
                APPROVED.append(pair)
            """
        )
    )
    info = where / "tiny_rm_extension-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-rm-extension\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[rm_plugin]\ntiny = tiny_rm_extension\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    create_site(root)
    return root


def test_site_hooks_and_installed_distributions_are_loaded_and_listed(
    site_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist_dir = tmp_path / "dists"
    dist_dir.mkdir()
    make_distribution(dist_dir)
    monkeypatch.syspath_prepend(str(dist_dir))
    monkeypatch.delenv("RM_PLUGIN_LOAD_PLUGINS", raising=False)
    (site_dir / "hooks" / "welcome.py").write_text(
        "from rm_plugin import hookimpl\n\n"
        "@hookimpl\ndef rm_agreement_signed(pair, version, signed_on):\n    pass\n"
    )
    result = CliRunner().invoke(build_cli(), ["--site", str(site_dir), "plugins"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "rm_plugin.connectors.csv  [built-in]" in out
    assert "tiny  [entry point of tiny-rm-extension 0.3]" in out
    assert "site:welcome  [site hooks/welcome.py]" in out
    assert "rm_agreement_signed" in out and "rm_pair_approved" in out
    assert "connection:files  [connection connectors/files.toml]" in out
    # built-ins first, then entry points, then the site's hooks
    assert out.index("[built-in]") < out.index("[entry point") < out.index("[site hooks/")


def test_the_allow_list_limits_entry_points(
    site_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist_dir = tmp_path / "dists"
    dist_dir.mkdir()
    make_distribution(dist_dir)
    monkeypatch.syspath_prepend(str(dist_dir))
    monkeypatch.setenv("RM_PLUGIN_LOAD_PLUGINS", "")
    site = Site.load(site_dir)
    assert site.pm.get_plugin("tiny") is None
    monkeypatch.setenv("RM_PLUGIN_LOAD_PLUGINS", "tiny")
    assert Site.load(site_dir).pm.get_plugin("tiny") is not None


def test_a_misspelt_hook_in_a_site_plugin_fails_at_start(site_dir: Path) -> None:
    (site_dir / "hooks" / "typo.py").write_text(
        "from rm_plugin import hookimpl\n\n@hookimpl\ndef rm_pair_aproved(pair):\n    pass\n"
    )
    with pytest.raises(
        PluginError, match=r"site:typo implements 'rm_pair_aproved', which is not an rm-plugin hook"
    ):
        make_plugin_manager(site_dir)
    result = CliRunner().invoke(build_cli(), ["--site", str(site_dir), "check"])
    assert result.exit_code == 1
    assert "rm_pair_aproved" in result.output


def test_a_broken_site_plugin_names_its_file(site_dir: Path) -> None:
    (site_dir / "hooks" / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(PluginError, match=r"hooks/broken.py: failed to load: ModuleNotFoundError"):
        make_plugin_manager(site_dir)


def test_a_plugin_can_be_disabled_by_name(site_dir: Path) -> None:
    config = site_dir / "rm-plugin.toml"
    config.write_text(config.read_text().replace("disabled = []", 'disabled = ["site:example_rules"]'))
    site = Site.load(site_dir, load_entrypoints=False)
    assert site.pm.get_plugin("site:example_rules") is None
