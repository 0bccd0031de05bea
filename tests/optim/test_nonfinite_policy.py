"""The non-finite gradient policy: skip, raise, ignore (torch's behaviour)."""

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.schedules import StepDecay


def build(policy, **kwargs):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(3), rng.standard_normal((2, 2))
    opt = optim.AdamW([("a", a), ("b", b)], lr=0.1, nonfinite=policy, **kwargs)
    StepDecay(1, 0.5).attach(opt)
    opt.step([np.ones(3), np.ones((2, 2))])  # one good step first
    return a, b, opt


def snapshot(a, b, opt):
    return a.copy(), b.copy(), opt.state_dict()


def assert_same(before, after):
    for x, y in zip(before[:2], after[:2]):
        np.testing.assert_array_equal(x, y)
    s0, s1 = before[2], after[2]
    assert s0["param_groups"] == s1["param_groups"]
    assert s0["schedules"] == s1["schedules"]
    for i in s0["state"]:
        for key, value in s0["state"][i].items():
            np.testing.assert_array_equal(value, s1["state"][i][key])
    assert s0["counters"]["completed_steps"] == s1["counters"]["completed_steps"]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_skip_touches_nothing_but_the_counter(bad, amsgrad):
    a, b, opt = build("skip", amsgrad=amsgrad)
    before = snapshot(a, b, opt)
    g = np.ones((2, 2))
    g[1, 0] = bad
    assert opt.step([np.ones(3), g]) is False
    assert_same(before, snapshot(a, b, opt))
    assert opt.skipped_steps == 1
    assert opt.completed_steps == 1
    assert opt.state_dict()["counters"]["skipped_steps"] == 1
    assert opt.step([np.ones(3), np.ones((2, 2))]) is True
    assert opt.completed_steps == 2 and opt.state[0]["step"] == 2


def test_raise_names_the_parameter_and_changes_nothing():
    a, b, opt = build("raise", clip_norm=1.0)
    before = snapshot(a, b, opt)
    with pytest.raises(optim.NonFiniteGradientError, match=r"gradient of b holds"):
        opt.step([np.ones(3), np.full((2, 2), np.nan)])
    assert_same(before, snapshot(a, b, opt))
    assert opt.skipped_steps == 0


def test_ignore_lets_it_through_as_torch():
    torch = pytest.importorskip("torch")
    w = np.array([1.0, 2.0, 3.0])
    tw = torch.tensor(w.copy(), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    ref = torch.optim.Adam([tw], lr=0.1)
    for g in (np.array([1.0, np.nan, 1.0]), np.array([np.inf, 1.0, 1.0])):
        opt.step([g])
        tw.grad = torch.tensor(g)
        ref.step()
    np.testing.assert_array_equal(np.isnan(w), np.isnan(tw.detach().numpy()))
    np.testing.assert_allclose(w, tw.detach().numpy(), equal_nan=True)
    assert opt.skipped_steps == 0 and opt.completed_steps == 2
