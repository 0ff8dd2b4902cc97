"""options.RunOptions: one typed attribute per option, resolved flag > variable > default,
checked once, a bad value named by its flag or variable."""

from __future__ import annotations

import dataclasses

import pytest

from threadconform.options import OPTIONS, OptionError, RunOptions, resolve


def test_every_option_is_one_field_with_its_default() -> None:
    fields = {field.name: field.default for field in dataclasses.fields(RunOptions)}
    # dict.fromkeys: two flags may set one field (--tc-strict and pytest's --strict).
    assert list(fields) == list(dict.fromkeys(option.field for option in OPTIONS))
    for option in OPTIONS:
        expected = () if option.repeat else option.default
        assert fields[option.field] == expected, option.flag


def test_nothing_given_is_the_defaults() -> None:
    assert resolve({}, environ={}) == RunOptions()


def test_a_flag_wins_over_its_variable_which_wins_over_the_default() -> None:
    environ = {"THREADCONFORM_PROFILE": "quick", "THREADCONFORM_SEED": "7"}
    from_env = resolve({}, environ=environ)
    assert (from_env.profile, from_env.seed) == ("quick", 7)
    from_flag = resolve({"tc_profile": "thorough", "tc_seed": "3"}, environ=environ)
    assert (from_flag.profile, from_flag.seed) == ("thorough", 3)


def test_values_have_their_types() -> None:
    environ = {"THREADCONFORM_TIMEOUT": "2.5", "THREADCONFORM_INSECURE": "yes"}
    options = resolve({"tc_max_requests": "40", "strict": True}, environ=environ)
    assert options.timeout == 2.5 and options.insecure is True
    assert options.max_requests == 40 and options.strict is True


def test_the_options_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        resolve({}, environ={}).seed = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "environ", "message"),
    [
        ({"tc_seed": "x"}, {}, "--seed: expected an integer, got 'x'"),
        ({}, {"THREADCONFORM_MAX_RPS": "fast"}, "THREADCONFORM_MAX_RPS: expected a number"),
        ({}, {"THREADCONFORM_INSECURE": "maybe"}, "THREADCONFORM_INSECURE: expected true or"),
        ({"tc_profile": "huge"}, {}, "--profile: unknown profile 'huge'; choose one of quick"),
        ({"tc_threads": "0"}, {}, "--threads: must be greater than 0, got 0"),
        ({"tc_base_url": "ftp://x"}, {}, "--base-url: 'ftp://x' is not an http(s) URL"),
    ],
)
def test_a_bad_value_names_its_option(
    given: dict[str, str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(OptionError) as raised:
        resolve(given, environ=environ)
    assert str(raised.value).startswith(message), raised.value
