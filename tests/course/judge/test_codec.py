"""course/judge/codec.py and what the grader accepts from a judge process, and what it refuses."""

import base64
import io
import json
import re
import tokenize

import numpy as np
import pytest

from support import probes as support
from course.judge import codec, process
from course.judge.codec import CodecError as ProbeError, decode
from course.judge.spec import Call
from helpers import plain as plain_data
from helpers.plain import DTYPES, MAX_ELEMENTS, MAX_ITEMS, MAX_TEXT, Other

FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)   # Python 3.12+


def _json(value):
    """``value`` after the trip a kernel's answer makes: JSON text, parsed again."""
    return json.loads(json.dumps(value))


def _round_trip(value):
    return decode(_json(codec.encode(value)))


def _assert_same(got, want):
    """Equal plain data, of the same types all the way down; arrays bit for bit."""
    assert type(got) is type(want), (got, want)
    if type(want) is np.ndarray:
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()
    elif type(want) in (list, tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
    elif type(want) is dict:
        assert list(got) == list(want)
        for key in want:
            _assert_same(got[key], want[key])
    elif type(want) is float and want != want:
        assert got != got
    else:
        assert got == want


def _array(dtype, shape=(2, 3)):
    values = np.arange(np.prod(shape, dtype=int)).reshape(shape) - 2
    return values.astype(dtype)


SPECIAL = np.array([[np.nan, np.inf, -np.inf], [-0.0, 5e-324, 1.7976931348623157e308]])

PLAIN = {
    "scalars": [None, True, False, 0, -2**63, 2**64 - 1, 0.1, -0.0, 1e-310, "", "é✓" * 10],
    "non-finite floats": [float("nan"), float("inf"), float("-inf")],
    "nested": {"W1": [1, (2, [3.5, {"k": None}])], 7: (), "e": []},
    "initializer": {"W1": np.random.default_rng(0).standard_normal((4, 2)),
                    "b1": np.zeros((4, 1)), "W2": SPECIAL, "b2": np.zeros((1, 1))},
    "arrays of every dtype": [_array(dtype) for dtype in DTYPES],
    "odd shapes": [np.zeros((0, 3)), np.array(2.5), np.ones((1, 1, 1, 2), dtype=np.float32)],
    "special floats": [SPECIAL, SPECIAL[:, :2].astype(np.float32),
                       SPECIAL[:, :2].astype(np.float16)],
    "big-endian": np.arange(4.0).astype(">f8"),
    "others": [Other("Agreeable", base="ndarray", shape=(2, 3)),
               Other("ndarray", shape=(2,), dtype="object"),
               Other("dict", detail="its keys include a tuple"), Other("function")],
    "outcomes": [{"returned": [np.eye(2)]}, {"raised": "TypeError: nope"}],
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_decode_inverts_encode(name):
    value = PLAIN[name]
    if name == "big-endian":   # travels as little-endian, arrives native
        got = _round_trip(value)
        assert got.dtype == np.dtype("float64") and got.dtype.isnative
        np.testing.assert_array_equal(got, value)
        return
    _assert_same(_round_trip(value), value)


def test_decode_returns_writable_contiguous_arrays():
    got = _round_trip(np.arange(6.0).reshape(2, 3))
    assert got.flags.writeable and got.flags.c_contiguous
    got[0, 0] = 7.0


def test_decode_carries_what_plain_describes():
    """Long, large and odd values that plain describes cross the wire as they are."""
    class Agreeable(np.ndarray):
        pass

    returned = [
        {"x" * (MAX_TEXT + 1): 1}, {2**70: 1}, 2**70, type("T" * 999, (), {})(),
        {type("K" * 999, (), {})(): 1}, np.zeros(3).view(Agreeable), "y" * 10_000,
        np.zeros(MAX_ELEMENTS + 1, dtype=np.uint8), np.zeros((0, 2 * MAX_ELEMENTS)),
        [[[[[[1]]]]]], list(range(MAX_ITEMS + 1)),
        {f"W{k}": np.zeros(2) for k in range(MAX_ITEMS)}, np.zeros(2, dtype=np.longdouble),
        ValueError("z" * 10_000),
    ]
    for value in returned:
        outcome = plain_data.call(lambda: value)
        _assert_same(_round_trip(outcome), outcome)

    def long_error():
        raise ValueError("z" * 10_000)

    raised = plain_data.call(long_error)
    assert len(raised["raised"]) == MAX_TEXT
    _assert_same(_round_trip(raised), raised)


# --- malformed answers --------------------------------------------------------------------

def _ndarray(dtype="float64", shape=(2,), data=None):
    if data is None:
        size = int(np.prod(shape, dtype=int))
        data = base64.b64encode(bytes(size * np.dtype(dtype).itemsize)).decode()
    return {"ndarray": {"dtype": dtype, "shape": list(shape), "data": data}}


def _other(**fields):
    spec = {"type": "x", "base": None, "shape": None, "dtype": None, "detail": None}
    return {"other": {**spec, **fields}}


def _nested(depth):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


MALFORMED = {
    "unknown tag": ({"pickle": "gASV"}, "unexpected tag 'pickle'"),
    "two tags": ({"float": "nan", "tuple": []}, "unexpected JSON value of type dict"),
    "empty object": ({}, "unexpected JSON value of type dict"),
    "raw nan": (float("nan"), "a float is not finite"),
    "raw inf": (float("inf"), "a float is not finite"),
    "bad non-finite": ({"float": "1e999"}, "a non-finite float is not nan, inf or -inf"),
    "huge int": (2**64, "an integer is out of range"),
    "huge negative int": (-2**63 - 1, "an integer is out of range"),
    "long string": ("s" * (MAX_TEXT + 1), f"a string is not a string of at most {MAX_TEXT}"),
    "long list": ([0] * (MAX_ITEMS + 1), f"a list has more than {MAX_ITEMS} items"),
    "tuple of no list": ({"tuple": "ab"}, "a tuple is not a list"),
    "dict of no list": ({"dict": {"a": 1}}, "a dict is not a list of at most"),
    "dict pair of three": ({"dict": [["a", 1, 2]]}, "a dict item is not a [key, value] pair"),
    "duplicate dict keys": ({"dict": [["W1", 1], ["W1", 2]]}, "a dict key is not a new string"),
    "float dict key": ({"dict": [[1.5, 1]]}, "a dict key is not a new string or integer"),
    "bool dict key": ({"dict": [[True, 1]]}, "a dict key is not a new string or integer"),
    "null dict key": ({"dict": [[None, 1]]}, "a dict key is not a new string or integer"),
    "huge int dict key": ({"dict": [[2**64, 1]]}, "an integer is out of range"),
    "long dict key": ({"dict": [["k" * (MAX_TEXT + 1), 1]]}, "a dict key is not a string"),
    "too many dict items": ({"dict": [[k, 0] for k in range(MAX_ITEMS + 1)]},
                            "a dict is not a list of at most"),
    "array with extra key": ({"ndarray": {**_ndarray()["ndarray"], "strides": [8]}},
                             "an array should have exactly the keys data, dtype, shape"),
    "array missing data": ({"ndarray": {"dtype": "float64", "shape": [1]}},
                           "an array should have exactly the keys"),
    "object dtype": (_ndarray("object"), "array dtype 'object' is not one of bool"),
    "big-endian dtype": (_ndarray(">f8"), "array dtype '>f8' is not one of"),
    "float128 dtype": (_ndarray("float128", data=""), "array dtype 'float128' is not one of"),
    "structured dtype": (_ndarray([["a", "<f8"]], data=""), "array dtype \"[['a', '<f8']]\""),
    "negative shape": (_ndarray(shape=(-1,), data=""), "an array's shape is not a list of sizes"),
    "float shape": (_ndarray(shape=(2.0,), data=""), "an array's shape is not a list of sizes"),
    "bool shape": (_ndarray(shape=(True,), data=""), "an array's shape is not a list of sizes"),
    "shape not a list": ({"ndarray": {"dtype": "float64", "shape": 3, "data": ""}},
                         "an array's shape is not a list of sizes"),
    "too many dimensions": (_ndarray(shape=(1,) * (codec.MAX_DIMS + 1)),
                            "an array's shape is not a list"),
    "too large a size": (_other(shape=[2**63]), "an unheld value's shape is not a list of sizes"),
    "too many elements": (_ndarray(shape=(MAX_ELEMENTS + 1,), data=""),
                          f"an array has more than {MAX_ELEMENTS} elements"),
    "elements in a product": (_ndarray(shape=(1000, 1000, 2), data=""),
                              f"an array has more than {MAX_ELEMENTS} elements"),
    "data too short": (_ndarray(shape=(3,), data=base64.b64encode(bytes(16)).decode()),
                       "an array's data does not hold 3 float64 values"),
    "data too long": (_ndarray(shape=(1,), data=base64.b64encode(bytes(16)).decode()),
                      "an array's data does not hold 1 float64 values"),
    "data short by padding": (_ndarray(shape=(1,), data="AAAAAAAAAA=="),
                              "an array's data does not hold 1 float64 values"),
    "data not base64": (_ndarray(shape=(1,), data="AAAA!AAAAAA="), "an array's data is not base64"),
    "data of no string": (_ndarray(shape=(0,), data=[]), "an array's data does not hold 0"),
    "other with extra key": ({"other": {**_other()["other"], "value": 1}},
                             "an unheld value should have exactly the keys"),
    "other of unknown base": (_other(base="module"), "an unheld value's base type 'module'"),
    "other of no type name": (_other(type=None), "a type name is not a string"),
    "other with long detail": (_other(detail="d" * (MAX_TEXT + 1)), "a detail is not a string"),
    "other with bad shape": (_other(shape=[-2]), "an unheld value's shape is not a list"),
    "other with numeric dtype": (_other(dtype=8), "a dtype is not a string"),
    "too deep": (_nested(codec.MAX_DEPTH + 1), f"nested more than {codec.MAX_DEPTH} deep"),
    "too deep in tuples": ({"tuple": [_nested(codec.MAX_DEPTH)]},
                           f"nested more than {codec.MAX_DEPTH} deep"),
    "too many nodes": ([[0] * 1000] * (codec.MAX_NODES // 1000 + 1),
                       f"the answer has more than {codec.MAX_NODES} values"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_decode_refuses_a_malformed_value(name):
    value, message = MALFORMED[name]
    with pytest.raises(ProbeError, match=re.escape(message)):
        decode(_json(value))


def test_decode_accepts_the_largest_values_allowed():
    assert decode(_nested(codec.MAX_DEPTH)) == _nested(codec.MAX_DEPTH)
    assert decode(_json(_other(shape=[MAX_ELEMENTS + 1, 2**40]))).shape == (MAX_ELEMENTS + 1, 2**40)
    assert decode(_ndarray(shape=(0, 2 * MAX_ELEMENTS))).shape == (0, 2 * MAX_ELEMENTS)
    assert decode(_ndarray(shape=(1,) * codec.MAX_DIMS)).ndim == codec.MAX_DIMS
    assert len(decode(_ndarray("uint8", shape=(MAX_ELEMENTS,)))) == MAX_ELEMENTS
    assert decode([2**64 - 1, -2**63]) == [2**64 - 1, -2**63]


def test_decode_refuses_too_many_array_elements_in_all():
    one = _ndarray("bool", shape=(MAX_ELEMENTS,))
    arrays = [one] * (codec.MAX_TOTAL_ELEMENTS // MAX_ELEMENTS)
    assert len(decode(arrays)) == len(arrays)
    with pytest.raises(ProbeError, match=f"more than {codec.MAX_TOTAL_ELEMENTS} array elements"):
        decode(arrays + [_ndarray("bool", shape=(1,))])


def test_decode_refuses_anything_but_json_values_without_calling_it():
    called = []

    class Trap:
        def __getattr__(self, name):
            called.append(name)
            raise AttributeError(name)

    for name in ("__eq__", "__hash__", "__len__", "__iter__", "__getitem__", "__bool__",
                 "__index__", "__float__", "__str__", "__repr__", "keys", "items"):
        setattr(Trap, name, lambda self, *args, name=name: called.append(name))
    for value in (Trap(), [Trap()], {"tuple": [Trap()]}, {"dict": [["k", Trap()]]},
                  {"dict": [[Trap(), 1]]}, (1, 2), {1, 2}, b"bytes", 1j, print):
        with pytest.raises(ProbeError):
            decode(value)
    assert called == []


def test_decode_gives_back_plain_types_only():
    def walk(value):
        assert type(value) in (type(None), bool, int, float, str, list, tuple, dict,
                               np.ndarray, Other), type(value)
        if type(value) in (list, tuple):
            for item in value:
                walk(item)
        elif type(value) is dict:
            for item in value.values():
                walk(item)

    for value in PLAIN.values():
        walk(_round_trip(value))
    text = "__import__('os').system('echo hi')"
    assert decode(_json({"dict": [[text, text]]})) == {text: text}


# Reading untrusted data calls nothing that runs code: no eval, exec, unpickling. The code and
# its strings are searched; comments and docstrings, which may name these, are not code.
_RUNNERS = {"eval", "exec", "__import__", "literal_eval", "import_module", "pickle", "cPickle",
            "dill", "cloudpickle", "marshal", "shelve", "jsonpickle", "allow_pickle"}
_RUNNER_IN_TEXT = re.compile(r"(?<![\w.])(exec|eval|compile|__import__)\s*\(|\bimport pickle\b")
# The judge process's loader and the answer cell it runs: code that runs in the sandbox,
# never in the grader (course/judge/runner.py is sent into the judge process).
_ALLOWED = {("course/judge/runner.py", "exec("), ("course/judge/runner.py", "compile(")}
_ALLOWED_NAMES = {("course/judge/runner.py", "exec"), ("course/judge/runner.py", "compile"),
                  # the specs of an assignment, instructor code found by its name
                  ("course/judge/spec.py", "import_module"),
                  # a helpers module an answer cell imports, one of answer_rules.ALLOWED_MODULES
                  ("helpers/answer_rules.py", "import_module")}


def _code_runners(text, name=""):
    """Where Python ``text`` (the file ``name``) can run code: ``"name:line"`` of each name,
    or of each string that calls one."""
    found = []
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for index, token in enumerate(tokens):
        after_dot = index > 0 and tokens[index - 1].string == "."
        if token.type == tokenize.NAME and (token.string in _RUNNERS or (
                token.string == "compile" and not after_dot)):   # re.compile is no runner
            if (name, token.string) not in _ALLOWED_NAMES:
                found.append(f"{token.string}:{token.start[0]}")
        elif token.type in (tokenize.STRING, FSTRING_MIDDLE):
            found += [f"{m[0]}:{token.start[0]}" for m in _RUNNER_IN_TEXT.finditer(token.string)
                      if (name, m[0]) not in _ALLOWED]
    return found


def test_course_and_helpers_run_no_code_from_data():
    paths = sorted([*(support.ROOT / "course").rglob("*.py"),
                    *(support.ROOT / "helpers").glob("*.py")])
    assert {"codec.py", "process.py", "spec.py", "plain.py", "checks.py"} <= {
        p.name for p in paths}
    found = {}
    for path in paths:
        name = path.relative_to(support.ROOT).as_posix()
        found[name] = _code_runners(path.read_text(), name)
    assert {name: where for name, where in found.items() if where} == {}


def test_code_runners_are_found_in_code_and_in_strings_of_code():
    text = ("import pickle\nx = eval(y)\nre.compile('a')\nz = f'{a}exec(b)'\n"
            "w = compile(s, 'f', 'exec')\n# eval(comment)\n")
    assert _code_runners(text) == ["pickle:1", "eval:2", "exec(:4", "compile:5"]
    assert _code_runners("s = 'exec(x)'", "course/judge/runner.py") == []
    assert _code_runners("exec(x)", "course/judge/process.py") == ["exec:1"]


# --- what a judge process's child answers ------------------------------------------------

CALLS = [Call((3,)), Call((4,), repeat=2)]


def _child_answer(outcomes, reused=None):
    reused = [False] * len(outcomes) if reused is None else reused
    return json.dumps({"outcomes": outcomes, "reused": reused}).encode()


def test_read_answer_returns_the_outcomes_of_each_call():
    raw = _child_answer([[codec.encode({"returned": 0.5})],
                         [codec.encode({"raised": "ValueError: no"}),
                          codec.encode({"returned": [np.eye(2)]})]], [False, True])
    (first, second), reused = process.read_answer(raw, CALLS)
    assert reused == [False, True]
    assert first == [{"returned": 0.5}]
    assert second[0] == {"raised": "ValueError: no"}
    np.testing.assert_array_equal(second[1]["returned"][0], np.eye(2))


@pytest.mark.parametrize("raw, message", [
    (b"", "ended without an answer"),
    (b"not json", "the answer is malformed"),
    (b"[" * 100_000 + b"]" * 100_000, "the answer is malformed"),
    (_child_answer([[{"dict": [["returned", 1]]}]]), "does not hold 2 calls"),
    (json.dumps({"outcomes": [], "extra": 1}).encode(), "exactly the keys outcomes, reused"),
    (_child_answer([[{"dict": [["returned", 1]]}], [{"dict": [["returned", 1]]}] * 2], [0, 1]),
     "whether a result was handed out again"),
    (b"[" * 400_001 + b"]" * 400_001, "more than 400000 containers"),
    (_child_answer([[{"dict": [["returned", 1]]}], [{"dict": [["returned", 1]]}]]),
     "a call asked for 2 results"),
    (_child_answer([[{"dict": [["printed", 1]]}], [{"dict": [["returned", 1]]}] * 2]),
     "neither returned nor raised"),
    (_child_answer([[{"dict": [["raised", 7]]}], [{"dict": [["returned", 1]]}] * 2]),
     "an error message is not a short string"),
    (_child_answer([[{"pickle": "gASV"}], [1, 2]]), "unexpected tag 'pickle'"),
])
def test_read_answer_refuses(raw, message):
    with pytest.raises(process.JudgeError, match=re.escape(message)):
        process.read_answer(raw, CALLS)


def test_decode_inverts_encode_on_generated_values():
    """A property test: random plain data, built from every kind, survives the trip."""
    rng = np.random.default_rng(2026)

    def value(depth):
        kind = rng.integers(0, 9 if depth < 4 else 5)
        if kind == 0:
            return [None, True, False][rng.integers(0, 3)]
        if kind == 1:
            return int(rng.integers(-2**63, 2**63 - 1))
        if kind == 2:
            return float(rng.choice([rng.standard_normal(), np.nan, np.inf, -0.0, 5e-324]))
        if kind == 3:
            return "".join(chr(c) for c in rng.integers(32, 0x2FFF, rng.integers(0, 20)))
        if kind == 4:
            dtype = DTYPES[rng.integers(0, len(DTYPES))]
            shape = tuple(int(n) for n in rng.integers(0, 4, rng.integers(0, 4)))
            return (rng.standard_normal(shape) * 100).astype(dtype)
        items = [value(depth + 1) for _ in range(rng.integers(0, 4))]
        if kind == 5:
            return items
        if kind == 6:
            return tuple(items)
        if kind == 7:
            return {f"k{i}" if i % 2 else i: item for i, item in enumerate(items)}
        return Other("T", base="dict", shape=None, dtype=None, detail="d")

    for _ in range(300):
        original = plain_data.plain(value(0))
        _assert_same(_round_trip(original), original)
