"""helpers.explorer: the figure is a function of the settings alone; the widgets redraw it."""

import base64
import os

import numpy as np
import pytest

from helpers import explorer
from helpers.explorer import Drawing, Settings, draw, profile_for, render


def test_settings_name_their_start_and_refuse_bad_values():
    assert Settings().weight_std() == "he"
    assert Settings(init="zeros").weight_std() == 0.0
    assert Settings(init="std", std=0.5).weight_std() == 0.5
    assert Settings(init="std", std=0.5).label() == "std 0.5"
    for bad, message in (({"init": "glorot"}, "unknown init 'glorot'"),
                         ({"activation": "elu"}, "unknown activation 'elu'"),
                         ({"std": 0.0}, "std must be a positive number"),
                         ({"depth": 0}, "depth must be a whole number >= 1"),
                         ({"width": 2.5}, "width must be a whole number >= 1")):
        with pytest.raises(ValueError, match=message):
            Settings(**bad)


def test_profiles_are_computed_once_per_setting():
    settings = Settings(depth=3, width=16)
    assert profile_for(settings) is profile_for(Settings(depth=3, width=16))
    assert [W.shape for W in profile_for(settings).weights] == [(16, 16)] * 3


def test_figure_shows_every_layer_and_both_spreads():
    settings = Settings(init="std", std=1.0, activation="relu", depth=5, width=32)
    drawing = Drawing()
    drawing.update(settings)
    profile = profile_for(settings)
    assert sum(step.get_visible() for step in drawing.steps) == 5
    activations, gradient = drawing.lines
    np.testing.assert_allclose(activations.get_ydata(), profile.activation_std(), rtol=1e-12)
    np.testing.assert_allclose(gradient.get_ydata(), profile.gradient_std(), rtol=1e-12)
    assert drawing.left.get_xlabel().startswith("log10")
    # std 1 with ReLU: the gradient grows going back, the activations going forward
    assert gradient.get_ydata()[0] > 100 * gradient.get_ydata()[-1]
    assert activations.get_ydata()[-1] > 100 * activations.get_ydata()[0]


def test_zeros_leave_out_values_without_spread_and_say_so():
    drawing = Drawing()
    drawing.update(Settings(init="zeros", activation="tanh", depth=4, width=8))
    activations, gradient = drawing.lines
    assert np.isnan(activations.get_ydata()).all()
    assert drawing.note.get_text() == "values of 0 (no spread) are left out"
    drawing.update(Settings(init="he", activation="tanh", depth=4, width=8))
    assert drawing.note.get_text() == ""


def test_render_is_a_function_of_the_settings_alone():
    """A reused drawing gives the bytes of a fresh one, whatever it showed before,
    whether it draws the frame anew or reuses a frame it kept."""
    a = Settings(init="xavier", activation="tanh", depth=6, width=24)
    b = Settings(init="std", std=0.01, activation="sigmoid", depth=11, width=40)
    same_frame = Settings(init="xavier", activation="tanh", depth=6, width=32)
    fresh = render(a)
    drawing = Drawing()
    render(b, drawing)
    assert render(a, drawing) == fresh
    assert render(b, drawing) == render(b) != fresh
    frames = len(drawing._frames)
    assert render(same_frame, drawing) == render(same_frame) != fresh
    assert len(drawing._frames) == frames     # the frame of a was kept and reused
    assert fresh.startswith(b"\x89PNG")


def test_draw_returns_a_new_figure_and_refuses_too_deep():
    assert draw(Settings(depth=2, width=8)) is not draw(Settings(depth=2, width=8))
    with pytest.raises(ValueError, match="at most 12 layers"):
        Drawing().update(Settings(depth=13, width=8))


def test_widgets_are_not_wanted_while_nbgrader_runs_the_notebook(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert explorer.widgets_wanted()
    for value in ("autograde", "validate"):
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
        assert not explorer.widgets_wanted()


def test_each_control_redraws_the_figure():
    box = explorer.explorer(Settings(depth=3, width=16))
    init, std, activation, depth, width = box.controls
    seen = [box.image.value]
    assert std.disabled
    for control, value in ((init, "std"), (std, 1.0), (activation, "tanh"), (depth, 5),
                           (width, 24)):
        control.value = value
        assert box.image.value not in seen, control.description
        seen.append(box.image.value)
    assert not std.disabled
    assert box.settings() == Settings("std", 1.0, "tanh", 5, 24)
    assert box.image.value == render(box.settings())
    assert repr(box).startswith("Explorer (")


def test_show_explorer_shows_a_still_image_and_no_widget_under_nbgrader(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert explorer.show_explorer(Settings(depth=2, width=8)) is None
    assert len(shown) == 1 and shown[0].data == render(Settings(depth=2, width=8))


def test_show_explorer_shows_the_explorer_alone_where_widgets_are_wanted(monkeypatch):
    """One figure: the explorer's own, which starts as the still image; no still copy
    above it that the first change would leave stale."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    box = explorer.show_explorer(Settings(depth=2, width=8))
    assert shown == [box]
    assert box.image.value == render(Settings(depth=2, width=8))


def test_explorer_offers_its_figure_as_png_and_one_line_of_text():
    """What cannot draw widgets (an HTML export, nbval) gets the figure and one line."""
    box = explorer.explorer(Settings(depth=2, width=8))
    bundle = box._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == box.image.value
    assert bundle["text/plain"] == explorer.REPR
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == box.model_id


def test_importing_the_explorer_imports_no_widget_library():
    import subprocess
    import sys
    code = "import sys, helpers.explorer; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ}, check=True).stdout.strip()
    assert out == "False"
