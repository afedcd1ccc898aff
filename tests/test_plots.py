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
    assert rows["term"].tolist() == list(res.summary.index)
    np.testing.assert_allclose(rows["ratio"], res.summary["hr"])
    np.testing.assert_allclose(rows["lower"], res.summary["hr_lower"])
    np.testing.assert_allclose(rows["upper"], res.summary["hr_upper"])
    _decodes(fig)


def test_cuminc_plot_draws_the_estimate(synth):
    pytest.importorskip("cohort.competing_risks")
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
