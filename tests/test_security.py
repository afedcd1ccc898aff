"""Security: no code from input is ever run, nothing goes over the network, exports are safe.

(Patient identifiers in reports are tested by the report's author.)
"""

from __future__ import annotations

import re
import socket
import tokenize
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort
from cohort.errors import FormulaError, MappingError
from cohort.io.export import neutralise_cell, neutralise_formulas, safe_csv
from cohort.io.mapping import read_mapping
from cohort.survival.formula import parse_formula

PACKAGE = Path(cohort.__file__).parent
CORPUS = Path(__file__).parent / "bad_inputs" / "files"

# Calls that run text as code or rebuild arbitrary objects from bytes. DataFrame.eval/.query
# evaluate expressions too, so they are refused as well.
FORBIDDEN = {
    r"\bpickle\s*\.\s*loads?\s*\(": "pickle.load",
    r"\b(cloudpickle|dill|marshal|shelve|joblib)\s*\.\s*(loads?|open)\s*\(": "unsafe deserialiser",
    r"\bread_pickle\s*\(": "read_pickle",
    r"(?<![\w.])eval\s*\(": "eval(",
    r"(?<![\w.])exec\s*\(": "exec(",
    r"(?<![\w.])compile\s*\(": "compile(",
    r"(?<![\w.])__import__\s*\(": "__import__(",
    r"\byaml\s*\.\s*(unsafe_load|full_load|load_all|unsafe_load_all)\s*\(": "unsafe yaml loader",
    r"\.\s*(eval|query)\s*\(": "DataFrame.eval/query",
    r"\bos\s*\.\s*system\s*\(": "os.system",
    r"\bsubprocess\b": "subprocess",
    r"\b(urllib\.request|requests|httpx|urlopen)\b": "network client",
}
# Modules allowed one of the calls above, each with the reason it cannot run input.
ALLOWED = {
    # Starts only the Chromium executable found on PATH, with fixed flags as an argument list (no
    # shell) and a report file path: no cell, mapping or formula reaches the command.
    "browser.py": {"subprocess"},
}
YAML_LOAD = re.compile(r"\byaml\s*\.\s*load\s*\(")


def _code_only(path: Path) -> str:
    """The Python source with comments and string literals blanked, so docstrings that *mention*
    eval( or pickle do not count; only code does."""
    out = []
    with path.open("rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type in (tokenize.COMMENT, tokenize.STRING, tokenize.ENCODING):
                continue
            if getattr(tokenize, "FSTRING_MIDDLE", None) == tok.type:
                continue
            out.append(tok.string)
    return re.sub(r"\s*\.\s*", ".", " ".join(out))


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_package_source_is_scanned():
    assert len(SOURCES) > 20
    assert any(p.name == "loading.py" for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_no_code_execution_or_unpickling_in_package(path):
    code = _code_only(path)
    found = [name for pattern, name in FORBIDDEN.items() if re.search(pattern, code)]
    found = [name for name in found if name not in ALLOWED.get(path.name, set())]
    for m in YAML_LOAD.finditer(code):
        window = code[m.end() : m.end() + 200]
        if "SafeLoader" not in window.split(")")[0] + window:
            found.append("yaml.load without SafeLoader")
    assert not found, f"{path.relative_to(PACKAGE)} uses {found}"


def test_scanner_catches_what_it_is_meant_to(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""docstring mentioning eval( is fine"""\nimport pickle\n'
        "x = pickle.loads(b'')\ny = eval('1')\nz = df.query('a > 1')\n"
    )
    code = _code_only(bad)
    hits = {name for pattern, name in FORBIDDEN.items() if re.search(pattern, code)}
    assert hits == {"pickle.load", "eval(", "DataFrame.eval/query"}
    good = tmp_path / "good.py"
    good.write_text(
        '"""uses yaml.safe_load, never eval(text) or pickle.load"""\nmodel.evaluate(x)\n'
    )
    assert not any(re.search(p, _code_only(good)) for p in FORBIDDEN)


# --------------------------------------------------------------------------------------- YAML


@pytest.mark.parametrize(
    "text",
    [
        "columns: !!python/object/apply:os.system ['touch /tmp/cohort_yaml_pwned']\n",
        "columns:\n  id: !!python/name:os.system\n",
        "columns: !!python/object/new:subprocess.Popen [['touch', '/tmp/cohort_yaml_pwned']]\n",
        "units: !!python/tuple [1, 2]\n",
        "columns: &a [*a]\n",  # a self-referencing alias: parsed safely, then refused as a bad value
    ],
)
def test_mapping_yaml_with_python_tags_is_refused(tmp_path, text):
    marker = Path("/tmp/cohort_yaml_pwned")
    marker.unlink(missing_ok=True)
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    with pytest.raises(MappingError) as info:
        read_mapping(path)
    assert "evil.yaml" in str(info.value)
    assert not marker.exists()


# ------------------------------------------------------------------------------------ formulas


@pytest.fixture(scope="module")
def small_cohort():
    from cohort.synthetic import generate

    return generate(300, seed=11, mrd=False)


INJECTIONS = [
    "__import__('os').system('touch /tmp/cohort_formula_pwned')",
    "age + __import__('os').system('touch /tmp/cohort_formula_pwned')",
    "os.system('x')",
    "age + eval('1')",
    "npm1 + exec('import os')",
    "age; import os",
    "age\nimport os",
    "I(__import__('os').getcwd())",
    "np.log(age)",
    "age.__class__.__bases__",
    "age ** 2",
    "age + {1: 2}",
    "age + lambda: 0",
    "age + [x for x in ()]",
    "C(age, Treatment('x'))",
    "age + `ls`",
    "age + 'text'",
    "аge",  # Cyrillic a: looks like a column, is not one
    "age + __builtins__",
    "npm1 + flt3_itd + " * 200 + "age",
]


@pytest.mark.parametrize("formula", INJECTIONS, ids=range(len(INJECTIONS)))
def test_cox_refuses_injected_formula_before_running_anything(formula, small_cohort, monkeypatch):
    import os
    import subprocess

    import lifelines

    def boom(*args, **kwargs):
        raise AssertionError("something ran")

    monkeypatch.setattr(os, "system", boom)
    monkeypatch.setattr(subprocess, "Popen", boom)
    monkeypatch.setattr(lifelines.CoxPHFitter, "fit", boom)
    Path("/tmp/cohort_formula_pwned").unlink(missing_ok=True)
    with pytest.raises(FormulaError):
        cohort.cox(small_cohort, formula)
    assert not Path("/tmp/cohort_formula_pwned").exists()


@pytest.mark.parametrize("formula", INJECTIONS[:6], ids=range(6))
def test_finegray_refuses_injected_formula(formula, small_cohort):
    with pytest.raises(FormulaError):
        cohort.finegray(small_cohort, formula)


def test_unknown_column_in_formula_is_a_formula_error(small_cohort):
    with pytest.raises(FormulaError, match="os"):
        cohort.cox(small_cohort, "age + os")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("agenpm1*+-:()~C_'\"._ [];\\x")), max_size=40))
def test_formula_parser_accepts_only_columns_and_operators(text):
    columns = ("age", "npm1", "C", "x")
    try:
        parsed = parse_formula(text, columns)
    except FormulaError:
        return
    allowed = set(columns) | set(cohort.schema.COLUMNS)
    assert set(parsed.variables) <= allowed
    assert not any(ch in text for ch in "'\".[];\\")


# ----------------------------------------------------------------------------------- network


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network access attempted during an analysis")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return calls


def test_load_km_classify_use_no_network(no_network, tmp_path):
    from cohort.synthetic import generate

    path = tmp_path / "c.csv"
    generate(200, seed=3, mrd=False).data.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cohort.load(path)
        fit = cohort.km(c, "os", by="npm1")
        cohort.cuminc(c, "cir", by="npm1")
        cohort.cox(c, "npm1 + age")
        try:
            stratify = __import__("importlib").import_module("cohort.stratify")
        except ImportError:
            stratify = None
        if stratify is not None and hasattr(stratify, "classify"):
            stratify.classify(c, "eln2017")
    assert len(c.data) == 200 and fit.test is not None
    assert no_network == []


# ------------------------------------------------------------------------------- CSV injection


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("P001", "P001"),
        ("a=b", "a=b"),
        (-5.0, -5.0),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_safe_csv_neutralises_text_but_keeps_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "patient_id": pd.array(["=cmd|'/C calc'!A0", "P2", pd.NA], dtype="string"),
            "note": ["@SUM(1)", "+x", "ok"],
            "group": pd.Categorical(["-a", "b", "-a"]),
            "hr": [-0.5, 1.25, np.nan],
            "=evil_header": [1, 2, 3],
        },
        index=["=idx", "b", "c"],
    )
    path = safe_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(path, index_col=0, keep_default_na=False)
    text = path.read_text()
    assert list(back.columns) == ["patient_id", "note", "group", "hr", "'=evil_header"]
    assert back["patient_id"].tolist() == ["'=cmd|'/C calc'!A0", "P2", ""]
    assert back["note"].tolist() == ["'@SUM(1)", "'+x", "ok"]
    assert back["group"].tolist() == ["'-a", "b", "'-a"]
    assert back.index.tolist() == ["'=idx", "b", "c"]
    assert "-0.5" in text and "'-0.5" not in text  # numbers stay numbers
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell
    assert frame["note"].tolist() == ["@SUM(1)", "+x", "ok"]  # the input is not modified


def test_safe_csv_is_byte_identical_across_runs(tmp_path):
    frame = pd.DataFrame({"x": [1 / 3, 2 / 3], "y": ["=a", "b"]})
    a = safe_csv(frame, tmp_path / "a.csv").read_bytes()
    b = safe_csv(frame.copy(), tmp_path / "b.csv").read_bytes()
    assert a == b and b"\r\n" not in a


def test_loaded_formula_identifier_is_neutralised_on_export(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('patient_id,os_days,os_event\n"=HYPERLINK(""http://evil"")",10,1\nP2,20,0\n')
    c = cohort.load(path)
    assert c.data["patient_id"].iloc[0].startswith("=")  # loaded exactly as written
    out = neutralise_formulas(c.data)
    assert out["patient_id"].iloc[0].startswith("'=")


def test_xlsx_is_parsed_through_defusedxml():
    """openpyxl switches to defusedxml when it is installed (a declared dependency): entity-expansion
    ("billion laughs") and external-entity payloads in an .xlsx are then refused, not expanded."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
