"""Weight-decay masks: name patterns and the 1-D switch, as parameter groups."""

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.masks import decay_groups, no_decay_mask


def named():
    return [
        ("hidden.weight", np.ones((3, 2))),
        ("hidden.bias", np.ones(3)),
        ("norm.scale", np.ones(3)),
        ("out.weight", np.ones((1, 3))),
        ("out.bias", np.ones(1)),
    ]


def test_masks():
    assert no_decay_mask(named()) == [True] * 5  # off unless asked
    assert no_decay_mask(named(), no_decay_1d=True) == [True, False, False, True, False]
    assert no_decay_mask(named(), ["*.bias"]) == [True, False, True, True, False]
    assert no_decay_mask(named(), [r"^norm\.", "out"], match="regex") == [
        True,
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(ValueError, match="match must be one of"):
        no_decay_mask(named(), match="sql")


def test_groups_keep_order_and_decay_only_masked():
    params = named()
    groups = decay_groups(params, 0.1, no_decay_1d=True, lr=0.5)
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0, 0.1, 0.0]
    assert all(g["lr"] == 0.5 for g in groups)
    opt = optim.AdamW(groups)
    assert opt.param_names == [n for n, _ in params]
    grads = [np.zeros_like(p) for _, p in params]
    opt.step(grads)  # zero gradients: only the decay moves parameters
    for name, p in params:
        want = 1.0 - 0.5 * 0.1 if name.endswith("weight") else 1.0
        np.testing.assert_allclose(p, want, rtol=1e-15, err_msg=name)


def test_no_exclusion_is_one_group():
    assert len(decay_groups(named(), 0.01)) == 1
