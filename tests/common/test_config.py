"""Config precedence (flags > env > file > defaults) and clear errors naming the option."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from objectio.common.config import ConfigError, describe, load_config, option


@dataclass(frozen=True)
class Sample:
    port: int = option(9000, "listen port")
    name: str = option("x", "a name")
    ratio: float = option(0.5, "a ratio")
    enabled: bool = option(False, "a switch")
    hosts: list[str] = option(["a"], "hosts")

    def validate(self) -> None:
        if self.port <= 0:
            raise ConfigError("sample.port must be positive")


def test_defaults() -> None:
    assert load_config(Sample, "sample", env={}) == Sample()


def test_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[sample]\nport = 1\nname = "file"\nratio = 0.25\n')
    env = {"OBJECTIO_SAMPLE_PORT": "2", "OBJECTIO_SAMPLE_NAME": "env"}
    config = load_config(Sample, "sample", flags={"port": "3"}, env=env, file=toml)
    assert (config.port, config.name, config.ratio) == (3, "env", 0.25)


def test_yaml_file_and_lists(tmp_path: Path) -> None:
    yml = tmp_path / "c.yaml"
    yml.write_text("sample:\n  hosts: [h1, h2]\n  enabled: true\n")
    config = load_config(Sample, "sample", env={"OBJECTIO_SAMPLE_HOSTS": "h3,h4"}, file=yml)
    assert config.hosts == ["h3", "h4"]
    assert config.enabled is True


@pytest.mark.parametrize(
    ("env", "needle"),
    [({"OBJECTIO_SAMPLE_PORT": "many"}, "OBJECTIO_SAMPLE_PORT"), ({"OBJECTIO_SAMPLE_ENABLED": "maybe"}, "ENABLED")],
)
def test_bad_values_name_the_option(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_config(Sample, "sample", env=env)


def test_unknown_file_option_and_validation(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("[sample]\nprot = 1\n")
    with pytest.raises(ConfigError, match="prot"):
        load_config(Sample, "sample", env={}, file=toml)
    with pytest.raises(ConfigError, match="positive"):
        load_config(Sample, "sample", env={"OBJECTIO_SAMPLE_PORT": "-1"})


def test_describe_lists_every_option() -> None:
    rows = describe(Sample, "sample")
    assert [r[0] for r in rows] == ["port", "name", "ratio", "enabled", "hosts"]
    assert rows[0][1] == "OBJECTIO_SAMPLE_PORT"
