"""Per-site ELBO in the SVI monitor: the noisy site on top of the table, plotted, exported."""

import csv
from pathlib import Path

MODELS = Path(__file__).parent / "models"


def test_the_noisy_site_tops_the_per_site_elbo_table_and_the_csv_has_it(qtbot, window, tmp_path):
    window.open_model(MODELS / "noisy_site.py")
    window.svi.per_site_elbo.setChecked(True)
    window.run("svi", svi_settings=window.svi.settings())
    qtbot.waitUntil(lambda: window.bridge.state == "finished" and window.svi_runs.shown is not None
                    and len(window.svi_runs.shown) == 60, timeout=60000)
    window.svi.redraw()
    view = window.svi.site_elbo
    assert view.isVisible()
    rows = view.table_view()
    assert [row[0] for row in rows][0] == "z" and {row[0] for row in rows} == {"z", "loc", "obs"}
    assert float(rows[0][2]) > 10 * float(rows[1][2])
    assert set(view._curves) == {"z", "loc", "obs"} and view._curves["z"].getData()[1].size == 60
    run = window.svi_runs.shown
    total = sum(run.site_elbo[name].values for name in ("z", "loc", "obs"))
    assert abs(total + run.losses.values).max() < 1e-3 * abs(run.losses.values).max()  # the terms sum to -loss
    run.write_csv(tmp_path / "run.csv")
    with open(tmp_path / "run.csv") as f:
        header = next(csv.reader(f))
    assert {"site_elbo:z", "site_elbo:loc", "site_elbo:obs"} <= set(header)


def test_no_per_site_elbo_unless_asked(qtbot, window):
    window.open_model(MODELS / "noisy_site.py")
    window.svi.per_site_elbo.setChecked(False)
    window.run("svi", svi_settings=window.svi.settings())
    qtbot.waitUntil(lambda: window.bridge.state == "finished", timeout=60000)
    window.svi.redraw()
    assert not window.svi.site_elbo.isVisible() and not window.svi_runs.shown.site_elbo
