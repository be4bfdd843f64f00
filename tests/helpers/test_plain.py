"""helpers.plain: how the checks call a student's function, and what came back as plain data."""

import collections
import enum
import warnings

import numpy as np
import pytest

from helpers import plain as plain_data
from helpers.plain import (DTYPES, MAX_DEPTH, MAX_ELEMENTS, MAX_ITEMS, MAX_NAME,
                                 MAX_TEXT, Other, plain)


# --- plain values are kept as they are ----------------------------------------------------

@pytest.mark.parametrize("value", [None, True, False, 0, -7, -2**63, 2**64 - 1, 0.5, float("nan"),
                                   float("-inf"), "", "W1", "é" * MAX_TEXT])
def test_plain_keeps_plain_scalars(value):
    result = plain(value)
    assert type(result) is type(value)
    assert result is value


def test_plain_describes_a_long_string():
    assert plain("x" * (MAX_TEXT + 1)) == Other("str", detail="a long string")


@pytest.mark.parametrize("value", [2**64, -2**63 - 1, 10**100])
def test_plain_describes_an_integer_no_array_holds(value):
    assert plain(value) == Other("int", detail="a very large integer")


def test_plain_cuts_a_long_type_name():
    kind = type("T" * 1000, (), {})
    assert plain(kind()) == Other("T" * MAX_NAME)


@pytest.mark.parametrize("value, want", [
    (np.float64(0.25), 0.25), (np.float32(0.5), 0.5), (np.float16(2.0), 2.0),
    (np.int64(-3), -3), (np.int8(5), 5), (np.uint64(2**64 - 1), 2**64 - 1),
    (np.bool_(True), True),
])
def test_plain_turns_numpy_scalars_into_python_numbers(value, want):
    result = plain(value)
    assert type(result) is type(want)
    assert result == want


def test_plain_keeps_exact_containers_and_their_kinds():
    value = {"W1": [1, (2.5, None)], 3: {"b": "x"}}
    result = plain(value)
    assert result == value
    assert type(result[3]) is dict and type(result["W1"]) is list
    assert type(result["W1"][1]) is tuple
    assert result is not value and result["W1"] is not value["W1"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_plain_copies_arrays_of_every_kept_dtype(dtype):
    array = np.arange(6).reshape(2, 3).astype(dtype)
    result = plain(array)
    assert type(result) is np.ndarray and result.dtype == array.dtype
    np.testing.assert_array_equal(result, array)
    assert not np.shares_memory(result, array)


def test_plain_copies_a_view_not_its_base():
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2].T
    result = plain(view)
    np.testing.assert_array_equal(result, view)
    assert result.base is None and result.flags.c_contiguous
    base[...] = -1
    assert result[0, 0] == 0.0


def test_plain_copies_arrays_inside_containers():
    W = np.ones((2, 2))
    result = plain({"W1": W, "list": [W]})
    W[...] = 5
    assert result["W1"].sum() == 4 and result["list"][0].sum() == 4


# --- everything else becomes an Other -----------------------------------------------------

class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


class Shifty(dict):
    pass


class Listy(list):
    pass


class Floaty(float):
    def __eq__(self, other):
        return True


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize("value, want", [
    (np.zeros((2, 3)).view(Agreeable), Other("Agreeable", base="ndarray", shape=(2, 3))),
    (np.ma.masked_array([1.0, 2.0]), Other("MaskedArray", base="ndarray", shape=(2,))),
    (Shifty(a=1), Other("Shifty", base="dict")),
    (collections.OrderedDict(a=1), Other("OrderedDict", base="dict")),
    (collections.defaultdict(list), Other("defaultdict", base="dict")),
    (Listy([1]), Other("Listy", base="list")),
    (collections.namedtuple("Pair", "a b")(1, 2), Other("Pair", base="tuple")),
    (Floaty(0.5), Other("Floaty", base="float")),
    (Level.HIGH, Other("Level", base="int")),
    (np.str_("a"), Other("str_", base="str")),
])
def test_plain_names_a_subclass_and_its_base(value, want):
    assert plain(value) == want


@pytest.mark.parametrize("value, want", [
    (np.array([1, "a"], dtype=object), Other("ndarray", shape=(2,), dtype="object")),
    (np.zeros(2, dtype=np.longdouble), Other("ndarray", shape=(2,),
                                             dtype=np.dtype(np.longdouble).name)),
    (np.zeros((1, 2), dtype=complex), Other("ndarray", shape=(1, 2), dtype="complex128")),
    (np.array(["ab"]), Other("ndarray", shape=(1,), dtype=np.dtype("<U2").name)),
    (1j, Other("complex")),
    (b"bytes", Other("bytes")),
    (lambda: 0, Other("function")),
    (object(), Other("object")),
    ({1, 2}, Other("set")),
    (np.complex128(1j), Other("complex128")),
])
def test_plain_describes_other_values_by_their_type(value, want):
    if want.dtype == "float64":     # where long double is double, it is kept
        pytest.skip("long double is float64 on this machine")
    assert plain(value) == want


@pytest.mark.parametrize("key, odd", [
    ((1, 2), "a tuple"), (True, "a bool"), (1.5, "a float"), (np.int64(1), "a int64"),
    (None, "a NoneType"), ("k" * (MAX_TEXT + 1), "a long string"),
    (2**64, "a very large integer"), (type("K" * 1000, (), {})(), "a " + "K" * MAX_NAME),
])
def test_plain_describes_a_dict_with_odd_keys(key, odd):
    assert plain({"W1": 1, key: 2}) == Other("dict", detail=f"its keys include {odd}")


def test_plain_keeps_a_dict_with_string_and_integer_keys():
    value = {"W1": 1, 2: 3, "k" * MAX_TEXT: 4, 2**64 - 1: 5, -2**63: 6}
    assert plain(value) == value


def test_plain_does_not_trust_a_lying_class_attribute():
    class Liar:
        @property
        def __class__(self):
            return np.ndarray

    assert plain(Liar()) == Other("Liar")


def test_plain_does_not_trust_a_metaclass_that_equals_everything():
    class Meta(type):
        def __eq__(cls, other):
            return True

        def __hash__(cls):
            return hash(np.float64)

    class Sneaky(metaclass=Meta):
        def item(self):
            return 0.5

        def __iter__(self):
            return iter([])

        def __len__(self):
            return 0

    assert plain(Sneaky()) == Other("Sneaky")


def test_plain_reports_the_real_shape_of_an_array_subclass():
    class Shaped(np.ndarray):
        @property
        def shape(self):
            return (2, 3)

    assert plain(np.zeros(4).view(Shaped)).shape == (4,)


# --- limits -------------------------------------------------------------------------------

def test_plain_describes_a_too_large_array():
    big = np.zeros(MAX_ELEMENTS + 1, dtype=np.uint8)
    assert plain(big) == Other("ndarray", shape=(MAX_ELEMENTS + 1,), dtype="uint8")
    assert type(plain(np.zeros(MAX_ELEMENTS, dtype=np.uint8))) is np.ndarray


@pytest.mark.parametrize("kind", [list, tuple])
def test_plain_describes_a_too_long_sequence(kind):
    assert type(plain(kind(range(MAX_ITEMS)))) is kind
    assert plain(kind(range(MAX_ITEMS + 1))) == Other(kind.__name__,
                                                     detail="too large or too deeply nested")


def test_plain_describes_a_too_large_dict():
    assert plain({f"W{k}": 0 for k in range(MAX_ITEMS + 1)}) == Other(
        "dict", detail="too large or too deeply nested")


def test_plain_describes_containers_nested_too_deep():
    value = [0]
    for _ in range(MAX_DEPTH):
        value = [value]
    result = plain(value)
    for _ in range(MAX_DEPTH):
        assert type(result) is list
        result = result[0]
    assert result == Other("list", detail="too large or too deeply nested")


def test_plain_ends_a_list_that_holds_itself():
    loop = []
    loop.append(loop)
    result = plain(loop)
    for _ in range(MAX_DEPTH):
        result = result[0]
    assert result == Other("list", detail="too large or too deeply nested")


def test_plain_describes_a_result_too_large_in_all():
    """Many small containers: past MAX_NODES values the rest is an Other, not held."""
    def count(v):
        if type(v) in (list, tuple):
            return 1 + sum(count(x) for x in v)
        if type(v) is dict:
            return 1 + sum(count(x) for x in v.values())
        return 1

    def others(v):
        if isinstance(v, Other):
            return 1
        return sum(others(x) for x in v) if type(v) is list else 0

    value = plain([[[{}] * 1000] * 1000] * 3)
    assert type(value) is list and len(value) == 3
    assert others(value) > 0
    assert count(value) <= plain_data.MAX_NODES + 1000


# --- call -----------------------------------------------------------------------------------

def test_call_returns_what_the_function_returned_as_plain_data():
    W = np.ones(2)
    outcome = plain_data.call(lambda x: {"W1": W * x}, 3)
    assert set(outcome) == {"returned"}
    np.testing.assert_array_equal(outcome["returned"]["W1"], [3.0, 3.0])


def test_call_reports_what_the_function_raised():
    def stub():
        raise NotImplementedError()

    assert plain_data.call(stub) == {"raised": "NotImplementedError"}
    assert plain_data.call(lambda: [][1]) == {"raised": "IndexError: list index out of range"}


def test_call_cuts_a_long_error_message():
    def long():
        raise ValueError("x" * 5000)

    outcome = plain_data.call(long)
    assert len(outcome["raised"]) == MAX_TEXT and outcome["raised"].startswith("ValueError: x")


def test_call_survives_an_exception_whose_message_cannot_be_read():
    class Broken(Exception):
        def __str__(self):
            raise RuntimeError("no message for you")

    def function():
        raise Broken()

    assert plain_data.call(function) == {"raised": "Broken: (its message could not be read)"}


def test_call_silences_warnings_and_floating_point_errors():
    def noisy():
        warnings.warn("careless", RuntimeWarning)
        np.float64(1e308) * 10
        return np.array([1.0]) / 0

    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        outcome = plain_data.call(noisy)
        assert np.isinf(outcome["returned"]).all()
        with pytest.raises(FloatingPointError):   # the caller's settings are back
            np.array([1.0]) / 0
        with pytest.raises(RuntimeWarning):
            warnings.warn("after", RuntimeWarning)


def test_call_lets_a_keyboard_interrupt_through():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        plain_data.call(interrupted)


def test_type_name_of_held_and_unheld_values():
    assert plain_data.type_name([1]) == "list"
    assert plain_data.type_name(Other("Agreeable", base="ndarray")) == "Agreeable"


def test_other_equality_and_hash_use_every_field():
    one = Other("ndarray", shape=[2, 3], dtype="object")
    assert one == Other("ndarray", shape=(2, 3), dtype="object")
    assert hash(one) == hash(Other("ndarray", shape=(2, 3), dtype="object"))
    assert one != Other("ndarray", shape=(2, 3), dtype="float128")
    assert one != ("ndarray", None, (2, 3), "object", None)
