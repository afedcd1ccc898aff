"""Every plot type renders on the synthetic cohort, and the data behind it is the data of the estimate."""

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import cohort
from cohort import plots
from cohort.report.runner import load_cohort


@pytest.fixture(scope="module")
def synth():
    return load_cohort(None)


def _decodes(fig) -> tuple[int, int]:
    img = Image.open(io.BytesIO(plots.figure_to_png(fig)))
    img.load()
    return img.size


def test_km_plot_at_risk_counts_equal_km_risk_sets(synth):
    res = cohort.km(synth.data, "os", by="npm1")
    fig = plots.km_plot(res)
    assert len(fig.axes) == 2  # curves + number-at-risk table
    w, h = _decodes(fig)
    assert w == pytest.approx(3.5 * 200, abs=2)  # single journal column (3.5 in) at 200 dpi
    times = [0.0, 365.25, 730.5]
    table = plots.at_risk_table(res, times)
    data = synth.data
    for (grp, t), n in table.set_index(["group", "time"])["at_risk"].items():
        members = (
            data[data["npm1"].astype(str).str.lower().eq(grp.split("=")[-1].lower())]
            if "=" in grp
            else data
        )
        # risk set at t: patients whose OS time is >= t
        expected = int((members["os_days"].astype(float) >= t).sum())
        assert n == expected, (grp, t)
    # the numbers drawn in the table are those counts
    drawn = sorted(int(t.get_text()) for t in fig.axes[1].texts)
    assert drawn == sorted(
        plots.at_risk_table(res, fig.axes[0].get_xticks() * plots.DAYS_PER_MONTH)[
            "at_risk"
        ].tolist()
    )


def test_forest_rows_equal_cox_summary(synth):
    res = cohort.cox(synth.data, "npm1 + flt3_itd + age")
    fig = plots.forest_plot(res)
    rows = fig.forest_table
    rows = rows[~rows["reference"]]
    assert rows["term"].tolist() == list(res.summary.index)
    np.testing.assert_allclose(rows["ratio"], res.summary["hr"])
    np.testing.assert_allclose(rows["lower"], res.summary["hr_lower"])
    np.testing.assert_allclose(rows["upper"], res.summary["hr_upper"])
    _decodes(fig)


def test_cuminc_plot_draws_the_estimate(synth):
    pytest.importorskip("cohort.survival.competing")
    res = cohort.cuminc(synth.data, "cir", by="npm1")
    fig = plots.cuminc_plot(res, event=1)
    lines = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) > 2]
    assert len(lines) == res.curves["group"].nunique()
    top = max(float(np.nanmax(ln.get_ydata())) for ln in lines)
    assert top == pytest.approx(res.curves.loc[res.curves["event"].astype(str) == "1", "cif"].max())
    _decodes(fig)


def test_reclassification_comutation_and_mrd_plots(synth):
    counts = pd.DataFrame(
        [[30, 5, 0], [4, 50, 6], [0, 2, 40]],
        index=pd.Index(["fav", "int", "adv"], name="ELN 2017"),
        columns=pd.Index(["fav", "int", "adv"], name="ELN 2022"),
    )
    fig = plots.reclassification_plot(counts)
    annotations = [t.get_text() for t in fig.axes[0].texts]
    assert "30\n(86%)" in annotations and "50\n(83%)" in annotations
    _decodes(fig)

    fig = plots.comutation_plot(synth.data)
    table = fig.comutation_table
    npm1 = synth.data[synth.data["npm1"].fillna(False)]
    assert table.loc["flt3_itd", "dnmt3a"] == int(
        (npm1["flt3_itd"].fillna(False) & npm1["dnmt3a"].fillna(False)).sum()
    )
    assert table.loc["dnmt3a", "dnmt3a"] == int(npm1["dnmt3a"].fillna(False).sum())
    _decodes(fig)

    mrd = synth.mrd
    assert mrd is not None and len(mrd)
    relapse = synth.data.set_index("patient_id")["cir_status"].map(
        {1: "relapse", 0: "no relapse", 2: "no relapse"}
    )
    fig = plots.mrd_plot(mrd, outcome=relapse, max_patients=20)
    assert len(fig.axes[0].get_lines()) == 20
    _decodes(fig)


def test_plotting_touches_no_global_state(synth):
    import matplotlib

    before = dict(matplotlib.rcParams)
    plots.km_plot(cohort.km(synth.data, "os"))
    assert dict(matplotlib.rcParams) == before


# ------------------------------------------------------------------ labels, layout, palette, axes
def _texts_inside_canvas(fig) -> list[str]:
    """Texts (titles, labels, legends, table cells) whose box leaves the canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    w, h = canvas.get_width_height()
    hidden = set()  # tick labels outside the view interval are not drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not lo - 1e-9 <= loc <= hi + 1e-9:
                    hidden |= {id(tick.label1), id(tick.label2)}
    out = []
    for t in fig.findobj(Text):
        if id(t) in hidden or not t.get_visible() or not t.get_text().strip():
            continue
        b = t.get_window_extent(renderer)
        if b.x0 < -1 or b.y0 < -1 or b.x1 > w + 1 or b.y1 > h + 1:
            out.append(t.get_text())
    return out


LONG_TITLE = (
    "Overall survival by NPM1 and FLT3-ITD status in the synthetic cohort of two thousand patients"
)


def _every_plot(synth):
    from cohort.survival.time_varying import simon_makuch

    d = synth.data
    relapse = d.set_index("patient_id")["cir_status"].map(
        {1: "relapse", 0: "no relapse", 2: "no relapse"}
    )
    counts = pd.DataFrame([[30, 5], [4, 50]], index=pd.Index(["fav", "adv"], name="ELN 2017"),
                          columns=pd.Index(["fav", "adv"], name="ELN 2022"))  # fmt: skip
    return {
        "km_1": plots.km_plot(cohort.km(d, "os"), title=LONG_TITLE),
        "km_4": plots.km_plot(cohort.km(d, "os", by=["npm1", "flt3_itd"]), title=LONG_TITLE),
        "km_no_table": plots.km_plot(cohort.km(d, "os", by="npm1"), risk_table=False, title=LONG_TITLE),
        "cuminc": plots.cuminc_plot(cohort.cuminc(d, "cir", by="npm1"), title=LONG_TITLE),
        "cuminc_all": plots.cuminc_plot(cohort.cuminc(d, "cir", by="npm1"), event=None),
        "cuminc_table": plots.cuminc_plot(cohort.cuminc(d, "cir", by="npm1"), risk_table=True),
        "forest": plots.forest_plot(cohort.cox(d, "npm1 + flt3_itd + age + sex"), title=LONG_TITLE),
        "simon_makuch": plots.simon_makuch_plot(simon_makuch(d, "os", exposure="hsct"), title=LONG_TITLE),
        "reclassification": plots.reclassification_plot(counts, title=LONG_TITLE),
        "comutation": plots.comutation_plot(d, title=LONG_TITLE),
        "mrd": plots.mrd_plot(synth.mrd, outcome=relapse, max_patients=10, title=LONG_TITLE),
    }  # fmt: skip


def test_every_text_of_every_plot_lies_inside_the_canvas(synth):
    for name, fig in _every_plot(synth).items():
        assert _texts_inside_canvas(fig) == [], name
        assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n", name  # Jupyter shows it as an image


def test_check_of_texts_inside_canvas_can_fail(synth):
    fig = plots.km_plot(cohort.km(synth.data, "os"))
    fig.text(0.98, 0.5, "a long sentence that runs off the right edge of the figure")
    assert _texts_inside_canvas(fig) != []


def _lab(colour) -> np.ndarray:
    from matplotlib.colors import to_rgb

    rgb = np.asarray(to_rgb(colour))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ lin
    )
    x, y, z = xyz / np.array([0.95047, 1.0, 1.08883])
    f = lambda t: np.cbrt(t) if t > 0.008856 else 7.787 * t + 16 / 116  # noqa: E731
    return np.array([116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))])


@pytest.mark.parametrize("n", range(2, 9))
def test_palette_distinct_in_colour_and_in_grey(n):
    labs = [_lab(c) for c in plots.palette(n)]
    pairs = [(i, j) for i in range(n) for j in range(i)]
    assert min(np.linalg.norm(labs[i] - labs[j]) for i, j in pairs) >= 18  # CIELAB Delta E
    assert min(abs(labs[i][0] - labs[j][0]) for i, j in pairs) >= 9  # lightness: apart in grey
    assert max(lab[0] for lab in labs) <= 80  # the lightest still shows on white


def test_seaborn_colorblind_fails_the_grey_check():
    # orange and vermilion of the old palette: the check above is one that can fail
    import seaborn as sns

    labs = [_lab(c) for c in sns.color_palette("colorblind", 8)]
    assert min(abs(labs[i][0] - labs[j][0]) for i in range(8) for j in range(i)) < 9


def test_km_legend_and_risk_table_rows_are_named(synth):
    res = cohort.km(synth.data, "os", by=["npm1", "flt3_itd"])
    fig = plots.km_plot(res)
    rows = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert rows == [
        "NPM1 mutated, FLT3-ITD positive", "NPM1 mutated, FLT3-ITD negative",
        "NPM1 wild-type, FLT3-ITD positive", "NPM1 wild-type, FLT3-ITD negative",
    ]  # fmt: skip
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == rows[::-1]
    # each row name has its curve's colour
    from matplotlib.colors import to_hex

    curve = {ln.get_label(): to_hex(ln.get_color()) for ln in fig.axes[0].get_lines()}
    for t in fig.axes[1].get_yticklabels():
        assert to_hex(t.get_color()) == curve[t.get_text()]

    custom = plots.km_plot(res, labels={"npm1=True, flt3_itd=True": "double"},
                           palette=["red", "green", "blue", "black"])  # fmt: skip
    names = [t.get_text() for t in custom.axes[0].get_legend().get_texts()]
    assert names[-1] == "double" and names[0] == "NPM1 wild-type, FLT3-ITD negative"
    colours = [
        to_hex(ln.get_color()) for ln in custom.axes[0].get_lines() if ln.get_label() in names
    ]
    assert colours == ["#ff0000", "#008000", "#0000ff", "#000000"]


def test_km_axis_runs_to_end_of_follow_up_or_horizon(synth):
    res = cohort.km(synth.data, "os", by="npm1")
    end = float(synth.data["os_days"].max()) / plots.DAYS_PER_MONTH
    ax = plots.km_plot(res).axes[0]
    assert ax.get_xlim()[1] >= end
    fig = plots.km_plot(res, xmax=60, break_by=6)
    ax, tab = fig.axes
    assert ax.get_xlim()[1] == pytest.approx(60 * 1.02)
    ticks = ax.get_xticks()
    assert ticks.tolist() == list(range(0, 61, 6))
    drawn = {round(float(t.get_position()[0]), 6) for t in tab.texts}
    assert drawn == {round(float(t), 6) for t in ticks}
    years = plots.km_plot(res, time_unit="years")
    assert years.axes[1].get_xlabel() == "Time (years)"
    with pytest.raises(ValueError, match="time_unit"):
        plots.km_plot(res, time_unit="weeks")


def test_censor_marks_thinned_at_large_n(synth):
    res = cohort.km(synth.data, "os", by="npm1")
    censored = res.curves.groupby("group")["censored"].apply(lambda c: int((c > 0).sum()))
    assert censored.max() > plots.MAX_CENSOR_MARKS  # n = 2,000: would merge into a bar
    ax = plots.km_plot(res).axes[0]
    marks = [ln for ln in ax.get_lines() if ln.get_marker() == "|"]
    assert len(marks) == 2
    assert all(0 < len(ln.get_xdata()) <= plots.MAX_CENSOR_MARKS for ln in marks)
    small = cohort.km(synth.data.iloc[:150], "os")
    marks = [ln for ln in plots.km_plot(small).axes[0].get_lines() if ln.get_marker() == "|"]
    assert len(marks[0].get_xdata()) == int((small.curves["censored"] > 0).sum())  # all drawn
    times = np.linspace(0, 100, 1000)
    idx = plots.thin_censor_marks(times, 100.0, max_marks=10)
    assert len(idx) == 10 and len(np.unique(np.minimum(times[idx] // 10, 9))) == 10  # one per bin


def test_simon_makuch_plot_has_a_risk_table_of_patients_under_observation(synth):
    from cohort.survival.time_varying import simon_makuch

    res = simon_makuch(synth.data, "os", exposure="hsct")
    fig = plots.simon_makuch_plot(res)
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["Allo-HSCT", "No allo-HSCT"]
    ticks = fig.axes[0].get_xticks() * plots.DAYS_PER_MONTH
    table = plots.simon_makuch_at_risk(res, ticks)
    d = synth.data
    os_days = d["os_days"].astype(float)
    hsct_days = d["hsct_days"].astype(float).where(d["hsct"].fillna(False).astype(bool))
    for t in ticks[1:]:
        exposed = int(((hsct_days <= t) & (t < os_days)).sum())
        unexposed = int((~(hsct_days <= t) & (t < os_days)).sum())
        got = table[table["time"] == t].set_index("group")["at_risk"]
        assert got["hsct"] == exposed and got["no hsct"] == unexposed
    drawn = sorted(int(t.get_text()) for t in fig.axes[1].texts)
    assert drawn == sorted(table["at_risk"].tolist())


def test_forest_shows_n_events_ci_p_and_reference_rows(synth):
    d = synth.data
    res = cohort.cox(d, "npm1 + flt3_itd + age + sex")
    fig = plots.forest_plot(res)
    rows = fig.forest_table.set_index("term")
    used = d.dropna(subset=["npm1", "flt3_itd", "age", "sex", "os_days", "os_event"])
    mutated = used["npm1"].astype(bool)
    assert rows.loc["npm1", "n"] == mutated.sum()
    assert rows.loc["npm1", "events"] == used.loc[mutated, "os_event"].sum()
    assert rows.loc["npm1 (reference)", "n"] == (~mutated).sum()
    assert rows.loc["npm1 (reference)", "label"] == "NPM1 wild-type"
    assert rows.loc["sex (reference)", "label"] == "Sex: Female"
    assert rows.loc["age", "n"] == len(used) and rows.loc["age", "label"] == "Age, per year"
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    for header in ("Characteristic", "N", "Events", "HR (95% CI)", "p"):
        assert header in texts
    assert texts.count("1 (reference)") == 3
    r = res.summary.loc["npm1"]
    from cohort.numbers import fmt_ci, fmt_p

    assert fmt_ci(r["hr"], r["hr_lower"], r["hr_upper"]) in texts and fmt_p(r["p_value"]) in texts


def test_cuminc_plot_names_events_in_words(synth):
    res = cohort.cuminc(synth.data, "cir", by="npm1")
    fig = plots.cuminc_plot(res, event=None)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "NPM1 mutated: Relapse" in legend and "NPM1 wild-type: Death without relapse" in legend
    assert not any("event" in t.lower() for t in legend)
    one = plots.cuminc_plot(res, event=1)
    assert one.axes[0].get_ylabel() == "Cumulative incidence of relapse"
    with_table = plots.cuminc_plot(res, event=1, risk_table=True)
    cur = res.curves[res.curves["event"] == 1]
    n_start = cur.groupby("group")["at_risk"].first()
    assert sorted(n_start.tolist()) == sorted(
        int(t.get_text()) for t in with_table.axes[1].texts if t.get_position()[0] == 0
    )


def test_readme_plots_section_runs(tmp_path, monkeypatch):
    import re
    import warnings
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Plots", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    for name in ("km_plot", "cuminc_plot", "forest_plot", "savefig"):
        assert name in code
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md#Plots", "exec"), {})
    png = Image.open(tmp_path / "km_os.png")
    assert png.size[0] > 1000  # 300 dpi
    assert (tmp_path / "forest.pdf").read_bytes()[:4] == b"%PDF"
